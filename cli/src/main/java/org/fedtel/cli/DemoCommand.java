package org.fedtel.cli;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fedtel.coordinator.CoordinatorServer;
import org.fedtel.coordinator.Federation;
import org.fedtel.coordinator.LedgerLog;
import org.fedtel.coordinator.RoundSettings;
import org.fedtel.coordinator.StatisticsSettings;
import org.fedtel.protocol.FeatureMoments;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.coordinator.RoundSummary;
import org.fedtel.coordinator.SecureAggregation;
import org.fedtel.coordinator.StateStore;
import org.fedtel.coordinator.TlsContexts;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.crypto.ConsortiumCa;
import org.fedtel.crypto.SiteCredentials;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.LedgerAudit;
import org.fedtel.ledger.NoteVerifier;
import org.fedtel.ledger.Witness;
import org.fedtel.ledger.v1.Genesis;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.TrainConfig;
import org.fedtel.siteagent.AutoencoderTrainer;
import org.fedtel.siteagent.LocalTrainer;
import org.fedtel.siteagent.SiteClient;
import org.fedtel.siteagent.SiteSession;
import org.fedtel.telemetry.detect.AnomalyModel;
import org.fedtel.telemetry.detect.Threshold;
import org.fedtel.telemetry.eval.Metrics;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.fedtel.telemetry.model.ReconstructionError;
import org.fedtel.telemetry.model.Sgd;
import org.fedtel.telemetry.model.Training;
import org.fedtel.telemetry.model.TrainingConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "A consortium of 4 sites and a coordinator on loopback: mutual TLS, secure "
        + "aggregation, distributed DP and the ledger; prints progress and results.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--out", defaultValue = "fedtel-demo", description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--rounds", defaultValue = "12", description = "Training rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--noise-multiplier", defaultValue = "0.5",
      description = "z of the distributed discrete Gaussian (default: ${DEFAULT-VALUE}).")
  double noiseMultiplier;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the generated data (default: ${DEFAULT-VALUE}).")
  long seed;

  static final int SITES = 4;
  static final int DROPOUT_ROUND = 3;
  static final double BUDGET_EPSILON = 1000;
  static final double DELTA = 1e-5;

  @Override
  public Integer call() throws Exception {
    if (rounds < DROPOUT_ROUND + 1) {
      throw new UserException("--rounds must be at least " + (DROPOUT_ROUND + 1) + " (a site drops out in round " + DROPOUT_ROUND + ")");
    }
    if (Files.exists(out) && Files.list(out).findAny().isPresent()) {
      throw new UserException(out + " exists and is not empty; remove it or choose --out");
    }
    Files.createDirectories(out);
    PrintWriter o = new PrintWriter(System.out, true);
    long t0 = System.nanoTime();
    SecureRandom random = new SecureRandom();
    Clock clock = Clock.systemUTC();

    o.println("1. consortium CA and credentials in " + out.resolve("ca"));
    ConsortiumCa ca = ConsortiumCa.create(out.resolve("ca"), "fedtel-demo", clock, random);
    SiteCredentials coordinator = SiteCredentials.load(ca.issueCoordinator(List.of("localhost", "127.0.0.1")), clock);
    Map<String, SiteCredentials> creds = new HashMap<>();
    Map<String, VerifyingKey> siteKeys = new HashMap<>();
    for (int i = 1; i <= SITES; i++) {
      SiteCredentials c = SiteCredentials.load(ca.issueSite("site-" + i), clock);
      creds.put(c.siteId(), c);
      siteKeys.put(c.siteId(), c.signingKey().verifyingKey());
    }

    o.println("2. generating " + SITES + " non-IID sites with labelled anomalies (2 days, 3 nodes each)");
    List<DemoData.Site> sites = DemoData.generate(DemoData.config(SITES, seed));
    int inputs = DemoData.WINDOWS.featureCount(org.fedtel.simulations.generator.Metric.COUNT);
    AutoencoderConfig model = new AutoencoderConfig(inputs, new int[] {16, 4, 16}, Activation.RELU, Activation.IDENTITY);
    for (DemoData.Site s : sites) {
      o.printf(Locale.ROOT, "   %s: %d training windows, %d held-out windows (%d anomalous)%n", s.id(), s.train().length,
          s.test().length, java.util.Arrays.stream(s.testLabels()).filter(java.util.Objects::nonNull).count());
    }

    o.printf(Locale.ROOT, "3. coordinator and %d site agents on loopback, mutual TLS 1.3; distributed DP (z = %.2f, clip 1,"
        + " delta %.0e) with secure aggregation, %d rounds; %s drops out in round %d%n", SITES, noiseMultiplier, DELTA, rounds,
        "site-4", DROPOUT_ROUND);
    Genesis genesis = Genesis.newBuilder().setConsortiumId("fedtel-demo").setOrigin("fedtel-demo/ledger")
        .setCoordinatorKey(com.google.protobuf.ByteString.copyFrom(coordinator.signingKey().verifyingKey().toBytes()))
        .setCaCertificateSha256(com.google.protobuf.ByteString.copyFrom(
            java.security.MessageDigest.getInstance("SHA-256").digest(ca.certificate().getEncoded())))
        .build();
    Map<String, byte[]> certHashes = new HashMap<>();
    for (SiteCredentials c : creds.values()) {
      certHashes.put(c.siteId(), java.security.MessageDigest.getInstance("SHA-256").digest(c.certificateDer()));
    }
    // Before training the sites fit one scaling from federated feature means and deviations; after the last round, the
    // threshold of the final model from a federated score histogram (record-level DP, z = 3).
    RoundSettings settings = new RoundSettings(rounds, SITES, 3, Duration.ofSeconds(30), PrivacyMode.PRIVACY_MODE_DISTRIBUTED,
        1.0, noiseMultiplier, DELTA, 1, 32, 0.05, 32, 0)
        .withStatistics(StatisticsSettings.of(inputs, StatisticsSettings.DEFAULT_NOISE_MULTIPLIER));
    // Signing keys come from the certificates the coordinator relays in each KeyList, checked against the CA.
    PeerKeys peerKeys = PeerKeys.certifiedOrKnown(coordinator.trust().peerKeys(), Map.of());
    double[] initial = Autoencoder.initialize(model, new SplittableRandom(seed)).parameters();
    List<SiteClient> clients = new ArrayList<>();
    double[] global;
    List<RoundSummary> history;
    Scaler federatedScaler;
    double federatedThreshold;
    try (Ledger ledger = Ledger.open(out.resolve("ledger"), genesis, coordinator.signingKey(), clock)) {
      Federation federation = new Federation(settings, Strategies.fedAvg(), initial, SecureAggregation.server(peerKeys),
          new LedgerLog(ledger, siteKeys, certHashes, PrivacyMode.PRIVACY_MODE_DISTRIBUTED),
          new StateStore(out.resolve("coordinator")), clock, random);
      try (CoordinatorServer server = new CoordinatorServer(federation,
          TlsContexts.server(coordinator.tlsPrivateKey(), coordinator.certificateChain(), ca.certificate()),
          Wire.DEFAULT_MAX_FRAME_BYTES).relayCertificates()) {
        int port = server.start(new InetSocketAddress("127.0.0.1", 0), 20);
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        NoteVerifier logKey = NoteVerifier.of(genesis.getOrigin(), coordinator.signingKey().verifyingKey());
        for (DemoData.Site s : sites) {
          SiteCredentials c = creds.get(s.id());
          PrivacyBudget budget = new PrivacyBudget(BUDGET_EPSILON, DELTA);
          Witness witness = new Witness(s.id(), c.signingKey(), logKey);
          SiteClient[] self = new SiteClient[1];
          // The held-out day also scores each round's starting model; only its confusion fractions leave
          // the site, inside the noised aggregate (monitoring only: nothing is selected on them).
          boolean[] anomalous = new boolean[s.testLabels().length];
          for (int i = 0; i < anomalous.length; i++) {
            anomalous[i] = s.testLabels()[i] != null;
          }
          LocalTrainer trainer = AutoencoderTrainer.fromRawWindows(model, s.scaler(), s.rawTrain(), random)
              .validation(s.rawTest(), anomalous);
          if (s.id().equals("site-4")) {
            trainer = new DroppingTrainer(trainer, () -> self[0].dropConnection());
          }
          LocalTrainer t = trainer;
          org.fedtel.siteagent.DataUseAccount account = new org.fedtel.siteagent.DataUseAccount(); // outlives connections
          self[0] = new SiteClient(() -> new SiteSession(s.id(), budget, t,
              org.fedtel.siteagent.SecureAggregation.client(c.signingKey(), peerKeys, random), c.signingKey(), witness).account(account),
              SiteClient.tls(c.tlsPrivateKey(), c.certificateChain(), ca.certificate()), address, 100, 2000);
          clients.add(self[0]);
          self[0].start();
        }
        o.println("   (loss and val F1 are decoded from the noised secure aggregate: under site-level DP with "
            + SITES + " sites they carry the mechanism's noise; val F1 is of the model each round starts from)");
        int shown = 0;
        try (Progress progress = Progress.start("rounds", rounds + 3)) {
          while (true) {
            CompletableFuture<List<RoundSummary>> h = new CompletableFuture<>();
            CompletableFuture<Boolean> done = new CompletableFuture<>();
            server.onEngine(() -> {
              h.complete(federation.history());
              done.complete(federation.finished());
            });
            List<RoundSummary> now = h.join();
            for (; shown < now.size(); shown++) {
              RoundSummary r = now.get(shown);
              progress.advance(1);
              if (r.committed() && !r.training()) {
                o.printf(Locale.ROOT, "   round %2d  %s  survivors %d/%d  (record-level DP, noise sd %.1f per count)%n", r.round(),
                    r.metrics().containsKey("threshold")
                        ? String.format(Locale.ROOT, "federated threshold of the final model: %.4g", r.metrics().get("threshold"))
                        : String.format(Locale.ROOT, "federated %s over %.0f windows (noisy count)", r.purpose().replace('_', ' '),
                            r.metrics().get("windows")),
                    r.survivors().size(), r.survivors().size() + r.failures().size(), r.metrics().getOrDefault("noise_sd", 0.0));
              } else if (r.committed()) {
                StringBuilder eps = new StringBuilder();
                new java.util.TreeMap<>(r.epsilonSpent()).forEach((id, e) -> eps.append(String.format(Locale.ROOT, " %s=%.2f", id, e)));
                Double f1 = r.metrics().get("val_f1");
                o.printf(Locale.ROOT, "   round %2d  loss %.3f (noise sd %.2f)  val F1 %s  survivors %d/%d %s  epsilon:%s%n", r.round(),
                    r.meanTrainLoss(), r.metrics().getOrDefault("train_loss_noise_sd", 0.0),
                    f1 == null ? "n/a  " : String.format(Locale.ROOT, "%.3f", f1),
                    r.survivors().size(), r.survivors().size() + r.failures().size(),
                    r.failures().isEmpty() ? "" : "(dropped: " + r.failures().get(0).siteId() + ", " + r.failures().get(0).reason() + ")",
                    eps);
              } else {
                o.printf(Locale.ROOT, "   round %2d  aborted: %s%n", r.round(), r.reason());
              }
            }
            if (done.join()) {
              break;
            }
            Thread.sleep(50);
          }
        }
        CompletableFuture<double[]> m = new CompletableFuture<>();
        CompletableFuture<List<RoundSummary>> hist = new CompletableFuture<>();
        CompletableFuture<Scaler> sc = new CompletableFuture<>();
        CompletableFuture<Double> th = new CompletableFuture<>();
        server.onEngine(() -> {
          m.complete(federation.model());
          hist.complete(federation.history());
          FeatureMoments.Fit fit = federation.scaling().orElseThrow();
          sc.complete(Scaler.of(Scaler.Kind.SIGNED_LOG_STANDARD, fit.offset(), fit.scale()));
          th.complete(federation.threshold());
        });
        global = m.join();
        history = hist.join();
        federatedScaler = sc.join();
        federatedThreshold = th.join();
      } finally {
        for (SiteClient c : clients) {
          c.close();
        }
      }
    }

    o.println("4. detection quality on each site's held-out day: global model vs the site's local-only model");
    o.println("   (same architecture; the global model with the federated scaling (signed-log standardization) and threshold; the");
    o.println("   local-only model trained on the site's own windows, standardized with its own statistics, for as many epochs as");
    o.println("   there were rounds, its threshold the 99th percentile of its own training scores: what a site can do alone)");
    Files.createDirectories(out.resolve("models"));
    StringBuilder table = new StringBuilder("| site | global F1 | global ROC-AUC | local-only F1 | local-only ROC-AUC |\n|---|---|---|---|---|\n");
    o.println("   | site | global F1 | global ROC-AUC | local-only F1 | local-only ROC-AUC |");
    int globalBetter = 0;
    for (DemoData.Site s : sites) {
      double[] g = evaluate(model, global, federatedScaler.transform(s.rawTrain()), federatedScaler.transform(s.rawTest()),
          s.testLabels(), federatedThreshold);
      double[][] ownTrain = s.train();
      Autoencoder local = Autoencoder.withParameters(model, initial);
      Training.fit(local, ownTrain, new TrainingConfig(rounds, 32, 0), new Sgd(0.05), null, new SplittableRandom(seed));
      double[] l = evaluate(model, local.parameters(), ownTrain, s.test(), s.testLabels(), Double.NaN);
      String row = String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f |", s.id(), g[0], g[1], l[0], l[1]);
      globalBetter += g[1] > l[1] ? 1 : 0;
      table.append(row).append('\n');
      o.println("   " + row);
      AnomalyModel saved = new AnomalyModel(DemoData.WINDOWS, org.fedtel.simulations.generator.Metric.columns(), federatedScaler,
          model, global, ReconstructionError.MSE, g[2]);
      Files.write(out.resolve("models").resolve("global-" + s.id() + ".model"), saved.encode());
    }

    o.printf(Locale.ROOT, "   the global model ranks anomalies better (ROC-AUC) than the local-only model at %d of %d sites%n",
        globalBetter, sites.size());
    if (globalBetter * 2 < sites.size()) {
      o.println("   (with only " + sites.size() + " sites, site-level DP noise of std z*C on the sum of " + sites.size()
          + " clipped updates outweighs the updates; see 'fedtel simulate' for how quality grows with epsilon and sites)");
    }
    o.println("5. fedtel ledger verify " + out.resolve("ledger"));
    AuditReport report = LedgerAudit.verify(out.resolve("ledger"));
    o.printf(Locale.ROOT, "   ledger verified: %d entries, %d checkpoints, %d cosignatures, %d signatures%n", report.entries(),
        report.checkpoints(), report.cosignatures(), report.signatures());
    for (AuditReport.SiteBudget b : report.sites()) {
      o.printf(Locale.ROOT, "   %s: %d data uses, epsilon %.3f of %.0f at delta %.0e%n", b.siteId(), b.dataUses(), b.spentEpsilon(),
          b.budgetEpsilon(), b.delta());
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    Files.writeString(out.resolve("results.md"), "# fedtel demo\n\nrounds: " + rounds + ", noise multiplier " + noiseMultiplier
        + ", seed " + seed + ", " + String.format(Locale.ROOT, "%.1f", seconds) + " s\n\n" + table, StandardCharsets.UTF_8);
    o.printf(Locale.ROOT, "done in %.1f s; everything is in %s%n", seconds, out.toAbsolutePath());
    return 0;
  }

  /**
   * F1 at {@code threshold} (NaN: the 99th percentile of the model's scores on {@code train}), ROC-AUC,
   * and the threshold, on scaled windows.
   */
  static double[] evaluate(AutoencoderConfig config, double[] params, double[][] train, double[][] test, String[] labels,
                           double threshold) {
    Autoencoder ae = Autoencoder.withParameters(config, params);
    if (Double.isNaN(threshold)) {
      double[] trainScores = new double[train.length];
      for (int i = 0; i < trainScores.length; i++) {
        trainScores[i] = ae.score(train[i], ReconstructionError.MSE);
      }
      threshold = Threshold.fromTrainingScores(trainScores, 99);
    }
    int n = test.length;
    double[] scores = new double[n];
    boolean[] positive = new boolean[n];
    int tp = 0;
    int fp = 0;
    int fn = 0;
    for (int i = 0; i < n; i++) {
      scores[i] = ae.score(test[i], ReconstructionError.MSE);
      positive[i] = labels[i] != null;
      boolean flagged = scores[i] > threshold;
      tp += flagged && positive[i] ? 1 : 0;
      fp += flagged && !positive[i] ? 1 : 0;
      fn += !flagged && positive[i] ? 1 : 0;
    }
    double f1 = tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    return new double[] {f1, Metrics.rocAuc(scores, positive), threshold};
  }

  /** site-4's trainer: in the dropout round the site dies while it trains (after sharing its keys), then restarts. */
  static final class DroppingTrainer implements LocalTrainer {
    private final LocalTrainer inner;
    private final Runnable drop;
    private final AtomicBoolean dropped = new AtomicBoolean();

    DroppingTrainer(LocalTrainer inner, Runnable drop) {
      this.inner = inner;
      this.drop = drop;
    }

    @Override public long exampleCount() {
      return inner.exampleCount();
    }

    @Override public byte[] datasetSha256() {
      return inner.datasetSha256();
    }

    @Override public Validation validate(double[] global) {
      return inner.validate(global);
    }

    @Override public StatisticsSource statisticsSource() {
      return inner.statisticsSource();
    }

    @Override public LocalUpdate train(long round, double[] global, TrainConfig config, PrivacyParams privacy) {
      if (round == DROPOUT_ROUND && dropped.compareAndSet(false, true)) {
        drop.run();
        throw new IllegalStateException("demo fault: site killed while training in round " + round);
      }
      return inner.train(round, global, config, privacy);
    }
  }

}
