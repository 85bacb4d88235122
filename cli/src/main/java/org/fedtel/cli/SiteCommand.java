package org.fedtel.cli;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.fedtel.crypto.CertifiedSite;
import org.fedtel.crypto.SiteCredentials;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.ledger.NoteVerifier;
import org.fedtel.ledger.Witness;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.protocol.config.Config;
import org.fedtel.protocol.config.ConfigException;
import org.fedtel.siteagent.AutoencoderTrainer;
import org.fedtel.siteagent.SecureAggregation;
import org.fedtel.siteagent.SiteClient;
import org.fedtel.siteagent.SiteSession;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.features.Windower;
import org.fedtel.telemetry.io.CsvLayout;
import org.fedtel.telemetry.io.TelemetryCsv;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.AutoencoderConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "site", mixinStandardHelpOptions = true, description = "Run one site agent.")
final class SiteCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "Configuration file (TOML subset, see docs/FEDERATION.md).")
  Path config;

  /** Everything the site needs, validated from the file before it connects. */
  record Settings(SiteCredentials credentials, InetSocketAddress coordinator, String consortium, Map<String, VerifyingKey> peers,
                  double[][] train, int inputs, int[] hidden, double budgetEpsilon, double budgetDelta, long stopAfterRound,
                  VerifyingKey coordinatorKey) {}

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
    int metrics;
    try {
      CsvLayout layout = TelemetryCsv.layout(data);
      metrics = layout.metrics().size();
      Windower w = new Windower(spec, metrics, (node, end, row, features, label) -> {
        if (label == null) {
          windows.add(features.clone()); // labelled anomalies never train the detector
        }
      });
      TelemetryCsv.read(data, w);
    } catch (Exception e) {
      throw new ConfigException(file + ": data " + data + ": " + e.getMessage());
    }
    if (windows.isEmpty()) {
      throw new ConfigException(file + ": data " + data + " yields no complete unlabelled window");
    }
    // Each site standardizes with its own statistics (none leaves the site).
    double[][] raw = windows.toArray(new double[0][]);
    double[][] train = Scaler.fit(Scaler.Kind.STANDARD, raw).transform(raw);
    int[] hidden = c.integers("model.hidden", new int[] {16, 4, 16}, 1, 1 << 16);
    double eps = c.number("budget.epsilon", 10, 1e-9, Double.MAX_VALUE);
    double delta = c.number("budget.delta", 1e-5, 1e-300, 0.5);
    long stop = c.integer("stop_after_round", 0, 0, Long.MAX_VALUE);
    c.checkAllUsed();
    return new Settings(credentials, coordinator, consortium, peers, train, spec.featureCount(metrics), hidden, eps, delta, stop,
        coord.signingKey());
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
    AutoencoderTrainer trainer = new AutoencoderTrainer(model, s.train());
    PrivacyBudget budget = new PrivacyBudget(s.budgetEpsilon(), s.budgetDelta());
    Witness witness = new Witness(cred.siteId(), cred.signingKey(),
        NoteVerifier.of(s.consortium() + "/ledger", s.coordinatorKey()));
    PeerKeys peerKeys = PeerKeys.of(s.peers());
    SecureRandom random = new SecureRandom();
    AtomicReference<SiteSession> current = new AtomicReference<>();
    System.out.printf(Locale.ROOT, "site %s: %d training windows of %d features; budget epsilon %.3g at delta %.1e; coordinator %s%n",
        cred.siteId(), s.train().length, s.inputs(), s.budgetEpsilon(), s.budgetDelta(), s.coordinator());
    try (SiteClient client = new SiteClient(() -> {
      SiteSession session = new SiteSession(cred.siteId(), budget, trainer, SecureAggregation.client(cred.signingKey(), peerKeys, random),
          cred.signingKey(), witness);
      current.set(session);
      return session;
    }, SiteClient.tls(cred.tlsPrivateKey(), cred.certificateChain(), cred.caCertificate()), s.coordinator(), 200, 30_000)) {
      client.start();
      long seen = 0;
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
            return 0;
          }
        }
        Thread.sleep(100);
      }
    }
  }

}
