package org.fedtel.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.fedtel.crypto.CertifiedSite;
import org.fedtel.crypto.SiteCredentials;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.ledger.NoteVerifier;
import org.fedtel.ledger.SignedNote;
import org.fedtel.ledger.Witness;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.privacy.accounting.SampledGaussian;
import org.fedtel.protocol.config.Config;
import org.fedtel.protocol.config.ConfigException;
import org.fedtel.siteagent.AutoencoderTrainer;
import org.fedtel.crypto.RevocationList;
import org.fedtel.siteagent.DataUseAccount;
import org.fedtel.siteagent.LiveScoring;
import org.fedtel.siteagent.LiveScoringException;
import org.fedtel.siteagent.LocalTrainer;
import org.fedtel.siteagent.SecureAggregation;
import org.fedtel.siteagent.SiteClient;
import org.fedtel.siteagent.SiteSession;
import org.fedtel.siteagent.SiteState;
import org.fedtel.siteagent.SiteStateException;
import org.fedtel.telemetry.detect.AnomalyModel;
import org.fedtel.telemetry.detect.DetectorSettings;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.features.Windower;
import org.fedtel.telemetry.io.CsvLayout;
import org.fedtel.telemetry.io.TelemetryCsv;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.fedtel.telemetry.model.ReconstructionError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "site", mixinStandardHelpOptions = true, description = "Run one site agent.")
final class SiteCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "Configuration file (TOML subset, see docs/FEDERATION.md).")
  Path config;

  /** Everything the site needs, validated from the file before it connects. */
  record Settings(SiteCredentials credentials, InetSocketAddress coordinator, String consortium, Map<String, VerifyingKey> peers,
                  double[][] rawTrain, Scaler scaler, int inputs, int[] hidden, double budgetEpsilon, double budgetDelta, long stopAfterRound,
                  VerifyingKey coordinatorKey, X509Certificate coordinatorCertificate, Path state, Live live, double[][] validation, boolean[] anomalous,
                  RevocationList revocations, long silenceTimeoutSeconds, boolean acceptUnprotected) {}

  /**
   * The optional {@code [live]} section: live telemetry scored after every round with the global
   * model, windowed and scaled as the training data ({@code rawTrain} are the training windows before
   * scaling, for the threshold).
   */
  record Live(Path data, Path output, WindowSpec spec, List<String> metrics, Scaler scaler, double[][] rawTrain) {}

  static Settings read(Path file) throws ConfigException {
    Config c = Config.load(file);
    Path base = file.toAbsolutePath().getParent();
    String credDir = c.requiredString("credentials");
    SiteCredentials credentials;
    try {
      credentials = SiteCredentials.load(base.resolve(credDir), Clock.systemUTC());
    } catch (Exception e) {
      throw new ConfigException(file + ": credentials '" + credDir + "' cannot be loaded: " + e.getMessage());
    }
    if (credentials.isCoordinator()) {
      throw new ConfigException(file + ": credentials '" + credDir + "' are the coordinator's, not a site's");
    }
    InetSocketAddress coordinator = CoordinatorCommand.address(file, c.requiredString("coordinator"));
    // The coordinator's certificate certifies the key that signs checkpoints, which this site witnesses.
    CertifiedSite coord = CoordinatorCommand.certified(file, base.resolve(c.requiredString("coordinator_certificate")), credentials);
    if (!coord.coordinator()) {
      throw new ConfigException(file + ": coordinator_certificate is a site's certificate ('" + coord.siteId() + "')");
    }
    String consortium = c.string("consortium", "fedtel");
    Map<String, VerifyingKey> peers = new HashMap<>();
    for (String certFile : c.strings("peers", List.of())) {
      CertifiedSite site = CoordinatorCommand.certified(file, base.resolve(certFile), credentials);
      peers.put(site.siteId(), site.signingKey());
    }
    peers.put(credentials.siteId(), credentials.signingKey().verifyingKey());
    Path data = base.resolve(c.requiredString("data"));
    WindowSpec spec = new WindowSpec((int) c.integer("windows.length", 12, 2, 100_000), (int) c.integer("windows.step", 6, 1, 100_000),
        FeatureMode.STATISTICS);
    List<double[]> windows = new ArrayList<>();
    List<double[]> labelled = new ArrayList<>();
    int metrics;
    List<String> metricNames;
    try {
      CsvLayout layout = TelemetryCsv.layout(data);
      metricNames = layout.metrics();
      metrics = layout.metrics().size();
      Windower w = new Windower(spec, metrics, (node, end, row, features, label) -> {
        if (label == null) {
          windows.add(features.clone());
        } else {
          labelled.add(features.clone()); // labelled anomalies never train the detector
        }
      });
      TelemetryCsv.read(data, w);
    } catch (Exception e) {
      throw new ConfigException(file + ": data " + data + ": " + e.getMessage());
    }
    if (windows.isEmpty()) {
      throw new ConfigException(file + ": data " + data + " yields no complete unlabelled window");
    }
    // With labelled anomalies, a share of the normal windows is held out with them: on these the site
    // scores each round's starting model, and only the confusion fractions leave it, inside the
    // aggregate (docs/FEDERATION.md, "Round statistics").
    double holdout = c.number("validation.holdout", 0.2, 0, 0.9);
    if (labelled.isEmpty()) {
      holdout = 0; // nothing to validate against: every normal window trains
    }
    List<double[]> validation = new ArrayList<>();
    List<Boolean> isAnomalous = new ArrayList<>();
    if (holdout > 0) {
      List<double[]> kept = new ArrayList<>();
      for (int i = 0; i < windows.size(); i++) {
        // Deterministic and spread over time: window i is held out when i * holdout crosses an integer.
        if (Math.floor((i + 1) * holdout) > Math.floor(i * holdout)) {
          validation.add(windows.get(i));
          isAnomalous.add(false);
        } else {
          kept.add(windows.get(i));
        }
      }
      for (double[] a : labelled) {
        validation.add(a);
        isAnomalous.add(true);
      }
      windows.clear();
      windows.addAll(kept);
      if (windows.isEmpty()) {
        throw new ConfigException(file + ": validation.holdout " + holdout + " leaves no training window");
      }
    }
    // Until the federation's feature rounds fit a scaling for everyone (or when the
    // coordinator runs none), the site standardizes with its own statistics, which never leave it.
    double[][] raw = windows.toArray(new double[0][]);
    Scaler scaler = Scaler.fit(Scaler.Kind.STANDARD, raw);
    int[] hidden = c.integers("model.hidden", new int[] {16, 4, 16}, 1, 1 << 16);
    double eps = c.number("budget.epsilon", 10, 1e-9, Double.MAX_VALUE);
    double delta = c.number("budget.delta", 1e-5, 1e-300, 0.5);
    // Rounds in privacy mode none release the site's data without noise, which no budget covers:
    // taken only when the site says so.
    boolean acceptUnprotected = c.bool("budget.accept_unprotected", false);
    long stop = c.integer("stop_after_round", 0, 0, Long.MAX_VALUE);
    Path state = base.resolve(c.string("state", "state-" + credentials.siteId()));
    Live live = null;
    if (c.has("live.data") || c.has("live.output")) {
      Path liveData = base.resolve(c.requiredString("live.data"));
      if (Files.exists(liveData) && !Files.isDirectory(liveData)) {
        try {
          List<String> liveMetrics = TelemetryCsv.layout(liveData).metrics();
          if (!liveMetrics.equals(metricNames)) {
            throw new ConfigException(file + ": live.data " + liveData + " has metrics " + liveMetrics + ", the training data "
                + metricNames);
          }
        } catch (ConfigException e) {
          throw e;
        } catch (Exception e) {
          throw new ConfigException(file + ": live.data " + liveData + ": " + e.getMessage());
        }
      }
      Path output = base.resolve(c.string("live.output", state.resolve("detections.csv").toString()));
      live = new Live(liveData, output, spec, metricNames, scaler, raw);
    }
    long silence = c.integer("silence_timeout_seconds", 60, 1, 86_400);
    RevocationList revocations = null;
    if (c.has("revocations")) {
      Path crl = base.resolve(c.requiredString("revocations"));
      try {
        revocations = RevocationList.load(crl, credentials.trust());
      } catch (Exception e) {
        throw new ConfigException(file + ": revocations " + crl + ": " + e.getMessage());
      }
    }
    c.checkAllUsed();
    boolean[] anomalous = new boolean[isAnomalous.size()];
    for (int i = 0; i < anomalous.length; i++) {
      anomalous[i] = isAnomalous.get(i);
    }
    return new Settings(credentials, coordinator, consortium, peers, raw, scaler, spec.featureCount(metrics), hidden, eps, delta, stop,
        coord.signingKey(), coord.certificate(), state, live, validation.toArray(new double[0][]), anomalous, revocations, silence, acceptUnprotected);
  }

  @Override
  public Integer call() throws Exception {
    Settings s;
    try {
      s = read(config);
    } catch (ConfigException e) {
      throw new UserException(e.getMessage());
    }
    SiteCredentials cred = s.credentials();
    AutoencoderConfig model = new AutoencoderConfig(s.inputs(), s.hidden(), Activation.RELU, Activation.IDENTITY);
    PrivacyBudget budget = new PrivacyBudget(s.budgetEpsilon(), s.budgetDelta());
    Witness witness = new Witness(cred.siteId(), cred.signingKey(),
        NoteVerifier.of(s.consortium() + "/ledger", s.coordinatorKey()));
    SiteState state;
    try {
      state = SiteState.open(s.state(), cred.siteId());
    } catch (SiteStateException e) {
      throw new UserException(config + ": state: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UserException(config + ": state " + s.state() + " cannot be opened: " + e, e);
    }
    try (state) {
      try {
        state.restoreInto(budget, witness);
      } catch (SiteStateException e) {
        throw new UserException(config + ": state: " + e.getMessage(), e);
      }
      LocalTrainer trainer = AutoencoderTrainer.fromRawWindows(model, s.scaler(), s.rawTrain(), new SecureRandom())
          .validation(s.validation(), s.anomalous());
      if (s.live() == null) {
        return run(s, cred, budget, witness, state, trainer, null);
      }
      ExecutorService scoringThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fedtel-live-scoring");
        t.setDaemon(true);
        return t;
      });
      try {
        Live l = s.live();
        AnomalyModel template = new AnomalyModel(l.spec(), l.metrics(), l.scaler(), model, new double[model.parameterCount()],
            ReconstructionError.MSE, 0);
        LiveScoring live;
        try {
          live = LiveScoring.open(l.data(), l.output(), state.directory().resolve("live-cursor"), template, l.rawTrain(),
              DetectorSettings.defaults().thresholdPercentile(), scoringThread);
        } catch (LiveScoringException e) {
          throw new UserException(config + ": live: " + e.getMessage(), e);
        } catch (IOException e) {
          throw new UserException(config + ": live: " + l.output() + " cannot be opened: " + e, e);
        }
        return run(s, cred, budget, witness, state, live.observing(trainer), live);
      } finally {
        // A pass under way finishes before the state is closed; one cut short is undone on the next start.
        scoringThread.shutdown();
        scoringThread.awaitTermination(60, TimeUnit.SECONDS);
      }
    }
  }

  private Integer run(Settings s, SiteCredentials cred, PrivacyBudget budget, Witness witness, SiteState state, LocalTrainer trainer,
                      LiveScoring live) throws Exception {
    // Peers' signing keys: from the certificates the coordinator relays (checked against the CA), or
    // from the optional `peers` certificate files when it relays none.
    PeerKeys peerKeys = PeerKeys.certifiedOrKnown(cred.trust().peerKeys(s.revocations()), s.peers());
    SecureRandom random = new SecureRandom();
    // Restored charges are unconfirmed until the coordinator says which data uses its ledger holds.
    DataUseAccount account = new DataUseAccount();
    for (SiteState.Charge c : state.charges()) {
      account.restore(c.round(), c.event());
    }
    account.restoreReleased(state.highestReleased());
    AtomicReference<SiteSession> current = new AtomicReference<>();
    AtomicLong acceptedRound = new AtomicLong();
    System.out.printf(Locale.ROOT, "site %s: %d training windows of %d features; budget epsilon %.3g at delta %.1e; coordinator %s%n",
        cred.siteId(), s.rawTrain().length, s.inputs(), s.budgetEpsilon(), s.budgetDelta(), s.coordinator());
    System.out.printf(Locale.ROOT, "state %s: epsilon spent %.4f restored from %d charged rounds; last accepted checkpoint size %d%s%n",
        state.directory(), budget.spentEpsilon(), state.charges().size(), witness.acceptedSize(),
        state.recovery().repaired() ? "; cut back " + state.recovery().tornTail() : "");
    if (live != null) {
      System.out.printf(Locale.ROOT, "live telemetry %s scored after every round; detections in %s%n", s.live().data(), s.live().output());
    }
    LiveScoring scoring = live;
    try (SiteClient client = new SiteClient(() -> {
      SiteSession session = new SiteSession(cred.siteId(), budget, trainer, SecureAggregation.client(cred.signingKey(), peerKeys, random),
          cred.signingKey(), witness).account(account).acceptUnprotectedRounds(s.acceptUnprotected());
      if (scoring != null) {
        // The model each round produced, from its RoundResult (checked against its hash by the session).
        session.onNewModel((round, model) -> scoring.modelReceived(model));
      }
      session.onStatistics(new SiteSession.StatisticsListener() {
        @Override
        public void scaling(org.fedtel.protocol.FeatureMoments.Fit fit) {
          if (scoring != null) {
            scoring.scalingReceived(fit);
          }
        }

        @Override
        public void threshold(byte[] modelHash, double threshold) {
          System.out.printf(Locale.ROOT, "federated threshold %.4g for model %s%n", threshold,
              java.util.HexFormat.of().formatHex(modelHash).substring(0, 16));
          if (scoring != null) {
            scoring.thresholdReceived(modelHash, threshold);
          }
        }
      });
      session.journal(new SiteSession.Journal() {
        @Override
        public void charged(long round, SampledGaussian charge) throws IOException {
          state.charged(round, charge);
        }

        @Override
        public void released(long round) throws IOException {
          state.released(round);
        }

        @Override
        public void accepted(SignedNote checkpoint) throws IOException {
          state.accepted(checkpoint);
          // The checkpoint follows its round's RoundResult on the connection: the round is committed.
          long round = session.lastRound();
          if (round > acceptedRound.getAndAccumulate(round, Math::max) && session.lastResult() != null && scoring != null) {
            scoring.roundCommitted(round, session.lastResult().getNewModelHash().toByteArray()).thenAccept(p ->
                System.out.printf(Locale.ROOT, "live after round %d: %d windows scored, %d anomalous (threshold %.4g, model of round %s)%n",
                    round, p.windowsScored(), p.anomalies(), p.threshold(), p.modelRound() < 0 ? "?" : Long.toString(p.modelRound())));
          }
        }
      });
      current.set(session);
      return session;
      // Only the coordinator certificate this site is configured with may serve as the coordinator.
    }, SiteClient.tls(cred.tlsPrivateKey(), cred.certificateChain(), cred.trust(), s.revocations(),
        s.coordinatorCertificate()),
        s.coordinator(), 200, 30_000).silenceTimeout(java.time.Duration.ofSeconds(s.silenceTimeoutSeconds()))) {
      client.start();
      long seen = 0;
      long stopDeadline = Long.MAX_VALUE;
      while (true) {
        SiteSession session = current.get();
        if (session != null && session.lastResult() != null) {
          long round = session.lastRound();
          if (round > seen) {
            seen = round;
            System.out.printf(Locale.ROOT, "round %d: survivors %s, epsilon spent %.4f of %.4f%n", round,
                session.lastResult().getSurvivorsList(), budget.spentEpsilon(), budget.declaredEpsilon());
          }
          if (s.stopAfterRound() > 0 && round >= s.stopAfterRound()) {
            // Stop once the round's checkpoint is cosigned (and recorded), or after a grace period without one.
            stopDeadline = Math.min(stopDeadline, System.nanoTime() + 10_000_000_000L);
            if (acceptedRound.get() >= round || System.nanoTime() > stopDeadline) {
              return 0;
            }
          }
        }
        Thread.sleep(100);
      }
    }
  }

}
