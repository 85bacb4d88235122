package org.fedtel.cli;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.fedtel.coordinator.CoordinatorServer;
import org.fedtel.coordinator.dashboard.DashboardServer;
import org.fedtel.coordinator.dashboard.LedgerSource;
import org.fedtel.coordinator.Federation;
import org.fedtel.coordinator.LedgerLog;
import org.fedtel.coordinator.RoundSettings;
import org.fedtel.coordinator.StatisticsSettings;
import org.fedtel.protocol.FeatureMoments;
import org.fedtel.protocol.ScoreHistogram;
import org.fedtel.coordinator.RoundSummary;
import org.fedtel.coordinator.SecureAggregation;
import org.fedtel.coordinator.StateStore;
import org.fedtel.coordinator.TlsContexts;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.coordinator.strategy.Strategy;
import org.fedtel.crypto.CertifiedSite;
import org.fedtel.crypto.RevocationList;
import org.fedtel.crypto.SiteCredentials;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.v1.Genesis;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.config.Config;
import org.fedtel.protocol.config.ConfigException;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "coordinator", mixinStandardHelpOptions = true,
    description = "Run the coordinator (wire port with mutual TLS) until the configured rounds are done.")
final class CoordinatorCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "Configuration file (TOML subset, see docs/FEDERATION.md).")
  Path config;

  /** Everything the coordinator needs, validated from the file before anything starts. */
  record Settings(SiteCredentials credentials, InetSocketAddress listen, Path dataDir, Map<String, VerifyingKey> sites,
                  Map<String, byte[]> certificateHashes, String consortium, AutoencoderConfig model, long modelSeed,
                  RoundSettings rounds, Strategy strategy, InetSocketAddress dashboard, boolean dashboardPublic,
                  RevocationList revocations) {}

  static Settings read(Path file) throws ConfigException {
    Config c = Config.load(file);
    Path base = file.toAbsolutePath().getParent();
    SiteCredentials credentials;
    String credDir = c.requiredString("credentials");
    try {
      credentials = SiteCredentials.load(base.resolve(credDir), Clock.systemUTC());
    } catch (Exception e) {
      throw new ConfigException(file + ": credentials '" + credDir + "' cannot be loaded: " + e.getMessage());
    }
    if (!credentials.isCoordinator()) {
      throw new ConfigException(file + ": credentials '" + credDir + "' are a site's, not the coordinator's");
    }
    InetSocketAddress listen = address(file, c.string("listen", "127.0.0.1:7443"));
    Path dataDir = base.resolve(c.requiredString("data_dir"));
    Map<String, VerifyingKey> sites = new HashMap<>();
    Map<String, byte[]> hashes = new HashMap<>();
    for (String certFile : c.strings("sites", List.of())) {
      CertifiedSite site = certified(file, base.resolve(certFile), credentials);
      sites.put(site.siteId(), site.signingKey());
      try {
        hashes.put(site.siteId(), MessageDigest.getInstance("SHA-256").digest(site.certificate().getEncoded()));
      } catch (Exception e) {
        throw new ConfigException(file + ": " + certFile + ": " + e.getMessage());
      }
    }
    if (sites.size() < 2) {
      throw new ConfigException(file + ": sites must list the certificates of at least 2 enrolled sites");
    }
    String consortium = c.string("consortium", "fedtel");
    int inputs = (int) c.integer("model.inputs", 0, 1, 1 << 20);
    if (inputs == 0) {
      throw new ConfigException(file + ": missing required key model.inputs (features per window of the sites' data)");
    }
    int[] h = c.integers("model.hidden", new int[] {16, 4, 16}, 1, 1 << 16);
    AutoencoderConfig model;
    try {
      model = new AutoencoderConfig(inputs, h, Activation.RELU, Activation.IDENTITY);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(file + ": model: " + e.getMessage());
    }
    long seed = c.integer("model.seed", 1, Long.MIN_VALUE, Long.MAX_VALUE);
    String mode = c.string("privacy.mode", "distributed");
    PrivacyMode pm = switch (mode) {
      case "none" -> PrivacyMode.PRIVACY_MODE_NONE;
      case "distributed" -> PrivacyMode.PRIVACY_MODE_DISTRIBUTED;
      // Record-level DP-SGD at each site: the sites need z > 0 and C > 0 (RoundSettings checks both).
      case "local" -> PrivacyMode.PRIVACY_MODE_LOCAL;
      default -> throw new ConfigException(file + ": privacy.mode must be \"none\", \"local\" or \"distributed\", got \"" + mode + "\"");
    };
    RoundSettings rounds;
    try {
      rounds = new RoundSettings(
          (int) c.integer("rounds.count", 10, 1, 1_000_000),
          (int) c.integer("rounds.sites_per_round", sites.size(), 2, 1_000_000),
          (int) c.integer("rounds.min_participants", Math.max(2, sites.size() - 1), 2, 1_000_000),
          Duration.ofMillis((long) (1000 * c.number("rounds.phase_timeout_seconds", 30, 0.001, 86_400))),
          pm,
          c.number("privacy.clip_norm", 1.0, 0, 1e9),
          c.number("privacy.noise_multiplier", 1.0, 0, 1e6),
          c.number("privacy.delta", 1e-5, 0, 1),
          (int) c.integer("rounds.local_epochs", 1, 1, 10_000),
          (int) c.integer("rounds.batch_size", 32, 1, 1 << 20),
          c.number("rounds.learning_rate", 0.05, 0, 1e3),
          (int) c.integer("rounds.modulus_bits", pm == PrivacyMode.PRIVACY_MODE_DISTRIBUTED ? 32 : 64, 16, 64),
          (int) c.integer("rounds.neighbours", 0, 0, 1_000_000));
      // Federated scaling and threshold (docs/FEDERATION.md): on unless the consortium turns them off.
      if (c.bool("statistics.enabled", true)) {
        rounds = rounds.withStatistics(new StatisticsSettings(true, inputs,
            c.number("statistics.noise_multiplier", StatisticsSettings.DEFAULT_NOISE_MULTIPLIER, 0, 1e6),
            c.number("statistics.feature_bound", FeatureMoments.DEFAULT_BOUND, 0, 1e6),
            c.number("statistics.deviation_bound", FeatureMoments.DEFAULT_DEVIATION_BOUND, 0, 1e6),
            (int) c.integer("statistics.bins", ScoreHistogram.DEFAULT_BINS, 2, 1 << 16),
            c.number("statistics.score_bound", ScoreHistogram.DEFAULT_BOUND, 0, 1e6),
            c.number("statistics.percentile", 99, 0, 100),
            (int) c.integer("statistics.threshold_every", 0, 0, 1_000_000)));
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException(file + ": " + e.getMessage());
    }
    String name = c.string("strategy.name", "fedavg");
    Map<String, Double> options = new HashMap<>();
    for (String k : List.of("proximal_mu", "server_learning_rate", "server_momentum", "beta1", "beta2", "tau")) {
      if (c.has("strategy." + k)) {
        options.put(k, c.number("strategy." + k, 0, 0, 1e6));
      }
    }
    Strategy strategy;
    try {
      strategy = Strategies.create(name, options);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(file + ": strategy: " + e.getMessage());
    }
    String dash = c.string("dashboard.listen", "127.0.0.1:7480");
    InetSocketAddress dashboard = dash.equals("off") ? null : address(file, dash);
    boolean dashboardPublic = c.bool("dashboard.public", false);
    if (dashboard != null && dashboard.getAddress() != null && !dashboard.getAddress().isLoopbackAddress() && !dashboardPublic) {
      throw new ConfigException(file + ": dashboard.listen = \"" + dash + "\" is not a loopback address; "
          + "set dashboard.public = true to serve the read-only dashboard there");
    }
    // Optional: the consortium CA's CRL (fedtel ca revoke); null when the key is absent.
    RevocationList revocations = null;
    if (c.has("revocations")) {
      String crl = c.requiredString("revocations");
      try {
        revocations = RevocationList.load(base.resolve(crl), credentials.trust());
      } catch (Exception e) {
        throw new ConfigException(file + ": revocations '" + crl + "' cannot be used: " + e.getMessage());
      }
    }
    c.checkAllUsed();
    return new Settings(credentials, listen, dataDir, sites, hashes, consortium, model, seed, rounds, strategy, dashboard,
        dashboardPublic, revocations);
  }

  static InetSocketAddress address(Path file, String hostPort) throws ConfigException {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new ConfigException(file + ": address '" + hostPort + "' must be host:port");
    }
    try {
      int port = Integer.parseInt(hostPort.substring(colon + 1));
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return new InetSocketAddress(hostPort.substring(0, colon), port);
    } catch (NumberFormatException e) {
      throw new ConfigException(file + ": address '" + hostPort + "' has an invalid port");
    }
  }

  /** A member's certificate file, checked against the consortium CA. */
  static CertifiedSite certified(Path file, Path certFile, SiteCredentials own) throws ConfigException {
    try (InputStream in = Files.newInputStream(certFile)) {
      X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      return own.trust().verify(cert);
    } catch (Exception e) {
      throw new ConfigException(file + ": certificate " + certFile + " is not a consortium member's: " + e.getMessage());
    }
  }

  @Override
  public Integer call() throws Exception {
    Settings s;
    try {
      s = read(config);
    } catch (ConfigException e) {
      throw new UserException(e.getMessage());
    }
    Files.createDirectories(s.dataDir());
    SiteCredentials cred = s.credentials();
    Genesis genesis = Genesis.newBuilder().setConsortiumId(s.consortium()).setOrigin(s.consortium() + "/ledger")
        .setCoordinatorKey(com.google.protobuf.ByteString.copyFrom(cred.signingKey().verifyingKey().toBytes()))
        .setCaCertificateSha256(com.google.protobuf.ByteString.copyFrom(
            MessageDigest.getInstance("SHA-256").digest(cred.caCertificate().getEncoded())))
        .build();
    double[] initial = Autoencoder.initialize(s.model(), new SplittableRandom(s.modelSeed())).parameters();
    try (Ledger ledger = Ledger.open(s.dataDir().resolve("ledger"), genesis, cred.signingKey(), Clock.systemUTC())) {
      Federation federation = new Federation(s.rounds(), s.strategy(), initial, SecureAggregation.server(
          PeerKeys.certifiedOrKnown(cred.trust().peerKeys(), s.sites())),
          new LedgerLog(ledger, s.sites(), s.certificateHashes(), s.rounds().privacyMode()),
          new StateStore(s.dataDir().resolve("state")), Clock.systemUTC(), new SecureRandom());
      if (federation.finished()) {
        System.out.println("all " + s.rounds().rounds() + " training rounds are already committed in " + s.dataDir());
        return 0;
      }
      try (CoordinatorServer server = new CoordinatorServer(federation,
          TlsContexts.server(cred.tlsPrivateKey(), cred.certificateChain(), cred.trust(), s.revocations()), Wire.DEFAULT_MAX_FRAME_BYTES)
          .relayCertificates()) {
        int port = server.start(s.listen(), 20);
        System.out.printf(Locale.ROOT, "coordinator listening on %s:%d (resuming after round %d)%n", s.listen().getHostString(), port,
            federation.committedRound());
        DashboardServer dashboard = null;
        if (s.dashboard() != null) {
          try {
            dashboard = DashboardServer.start(s.dashboard(), s.dashboardPublic(), LedgerSource.of(ledger), server.liveSource());
          } catch (java.io.IOException e) {
            throw new UserException("cannot serve the dashboard on " + s.dashboard() + " (dashboard.listen in " + config
                + "): " + e.getMessage(), e);
          }
          System.out.printf(Locale.ROOT, "dashboard on http://%s:%d/%n", s.dashboard().getAddress().getHostAddress(), dashboard.port());
        }
        try (DashboardServer closeDashboard = dashboard) {
        int shown = 0;
        while (true) {
          if (server.isClosed()) {
            throw new UserException("the coordinator's engine stopped (the reason is logged above); the state and the ledger are"
                + " those of the last committed round: start the coordinator again to resume");
          }
          CompletableFuture<List<RoundSummary>> h = new CompletableFuture<>();
          CompletableFuture<Boolean> done = new CompletableFuture<>();
          server.onEngine(() -> {
            h.complete(federation.history());
            done.complete(federation.finished());
          });
          List<RoundSummary> now = h.join();
          for (; shown < now.size(); shown++) {
            RoundSummary r = now.get(shown);
            if (r.committed() && !r.training()) {
              System.out.println(String.format(Locale.ROOT, "round %d committed (%s): %s, survivors %s, epsilon %s", r.round(),
                  r.purpose().replace('_', ' '), r.metrics().containsKey("threshold")
                      ? String.format(Locale.ROOT, "threshold %.4g", r.metrics().get("threshold"))
                      : String.format(Locale.ROOT, "%.0f windows (noisy count)", r.metrics().get("windows")),
                  r.survivors(), r.epsilonSpent()));
              continue;
            }
            System.out.println(r.committed()
                ? String.format(Locale.ROOT, "round %d committed: loss %.4f%s, survivors %s, epsilon %s", r.round(), r.meanTrainLoss(),
                    r.metrics().containsKey("val_f1") ? String.format(Locale.ROOT, ", val F1 %.3f (of round %d's starting model)",
                        r.metrics().get("val_f1"), r.round()) : "",
                    r.survivors(), r.epsilonSpent())
                : "round " + r.round() + " aborted: " + r.reason());
          }
          if (done.join()) {
            break;
          }
          Thread.sleep(100);
        }
        }
      }
    }
    System.out.println("done: " + s.rounds().rounds() + " rounds; ledger in " + s.dataDir().resolve("ledger"));
    return 0;
  }
}
