package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fedtel.crypto.ConsortiumCa;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.LedgerAudit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `fedtel coordinator --config` and `fedtel site --config` as separate commands over loopback mTLS. */
class FederationCommandsTest {
  @TempDir Path dir;

  static void writeCsv(Path file, long seed, double level) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    StringBuilder b = new StringBuilder("timestamp,node,cpu,mem\n");
    for (int i = 0; i < 600; i++) {
      b.append(1_767_225_600L + 10L * i).append(",n1,").append(level + 0.1 * r.nextGaussian()).append(',')
          .append(2 * level + 0.1 * r.nextGaussian()).append('\n');
    }
    Files.writeString(file, b.toString());
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"distributed", "local"})
  void aCoordinatorAndThreeSitesRunFromConfigFilesAndTheLedgerVerifies(String privacyMode) throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("ca"), "test", Clock.systemUTC(), new SecureRandom());
    ca.issueCoordinator(List.of());
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    StringBuilder sites = new StringBuilder();
    for (int i = 1; i <= 3; i++) {
      ca.issueSite("site-" + i);
      sites.append(i > 1 ? ", " : "").append("\"ca/sites/site-").append(i).append("/cert.pem\"");
    }
    // Two training rounds, with the federated statistics rounds around them (the default): five rounds.
    ConfigFiles.coordinator(dir, port, sites.toString(), "127.0.0.1:0", 2, 2, 30, privacyMode, true);
    for (int i = 1; i <= 3; i++) {
      writeCsv(dir.resolve("site-" + i + ".csv"), i, i);
      ConfigFiles.site(dir, i, port, null, 5, ""); // no `peers`: the other sites' keys come from the certificates the coordinator relays
    }
    List<CompletableFuture<Integer>> runs = new ArrayList<>();
    runs.add(CompletableFuture.supplyAsync(() -> Main.run("coordinator", "--config", dir.resolve("coordinator.toml").toString())));
    for (int i = 1; i <= 3; i++) {
      String f = dir.resolve("site-" + i + ".toml").toString();
      runs.add(CompletableFuture.supplyAsync(() -> Main.run("site", "--config", f)));
    }
    for (CompletableFuture<Integer> r : runs) {
      assertEquals(0, r.get(120, TimeUnit.SECONDS));
    }
    // The audit recomputes every site's ε from the recorded mechanisms, the statistics rounds' included.
    AuditReport report = LedgerAudit.verify(dir.resolve("coord").resolve("ledger"));
    assertEquals(5, report.checkpoints());
    assertEquals(3, report.sites().size());
    for (AuditReport.SiteBudget b : report.sites()) {
      assertEquals(5, b.dataUses(), b.toString());
    }
    // The coordinator's state holds the fitted scaling and the final model's threshold.
    org.fedtel.protocol.v1.CoordinatorState state = new org.fedtel.coordinator.StateStore(dir.resolve("coord").resolve("state")).load();
    assertEquals(List.of(1L, 2L, 5L), state.getStatisticsRoundsList());
    assertEquals(24, state.getScaling().getScaleCount());
    assertTrue(state.getThreshold() > 0, "threshold " + state.getThreshold());
    assertEquals(state.getModelHash(), state.getThresholdModelHash());
  }

  @Test
  void aBadConfigFileIsOneClearLineAndExitCode2() throws Exception {
    Files.writeString(dir.resolve("bad.toml"), "credentials = \"nowhere\"\n");
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      code = Main.run("coordinator", "--config", dir.resolve("bad.toml").toString());
    } finally {
      System.setErr(saved);
    }
    assertEquals(2, code);
    String text = err.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("bad.toml: credentials 'nowhere' cannot be loaded"), text);
  }
}
