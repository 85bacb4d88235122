package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedtel.cli.InMemoryFederationTest.Carrier;
import org.fedtel.cli.InMemoryFederationTest.LeastSquares;
import org.fedtel.coordinator.Federation;
import org.fedtel.coordinator.LedgerLog;
import org.fedtel.coordinator.RoundSettings;
import org.fedtel.coordinator.RoundSummary;
import org.fedtel.coordinator.StateStore;
import org.fedtel.coordinator.dashboard.DashboardServer;
import org.fedtel.coordinator.dashboard.LedgerSource;
import org.fedtel.coordinator.dashboard.LiveSource;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.v1.Genesis;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.protocol.v1.PrivacyMode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real headless Chromium while a short federation runs: 4 sites with distributed
 * DP and secure aggregation write a real ledger; the page loads, shows the rounds and the budgets,
 * verifies an entry's inclusion proof and the checkpoint signature in the browser, and a screenshot
 * is kept at {@code cli/target/dashboard.png}. Needs Debian's {@code chromium} ({@code .ci/run}
 * installs it); with {@code CI=true} a missing browser fails the test instead of skipping it.
 */
class DashboardBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  @TempDir Path dir;

  @Test
  void pageShowsARunningFederationsRoundsAndBudgetsAndVerifiesAProof() throws Exception {
    if (!Files.isExecutable(CHROMIUM)) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("chromium is required in CI (.ci/run installs it) but " + CHROMIUM + " is missing");
      }
      Assumptions.abort("chromium is not installed; apt-get install chromium to run the browser test");
    }
    TestConsortium keys = new TestConsortium(4);
    Genesis genesis = keys.genesis("browser-test");
    Carrier c = new Carrier();
    RoundSettings settings = new RoundSettings(40, 4, 3, Duration.ofSeconds(5), PrivacyMode.PRIVACY_MODE_DISTRIBUTED,
        1.0, 1.0, 1e-5, 2, 32, 0.1, 32, 0);
    Object engine = new Object();
    try (Ledger ledger = Ledger.open(dir.resolve("ledger"), genesis, keys.coordinatorKey, c.clock)) {
      for (int i = 0; i < 4; i++) {
        String id = "site-" + i;
        c.sites.put(id, keys.session(id, new PrivacyBudget(1000, 1e-5),
            new LeastSquares(100 + i, new double[] {1, -2, 0.5}, 0.5 * i, 60), keys.witness(id)));
      }
      c.coordinator = new Federation(settings, Strategies.fedAvg(), new double[3], keys.server(),
          new LedgerLog(ledger, keys.verifyingKeys(), Map.of(), PrivacyMode.PRIVACY_MODE_DISTRIBUTED),
          new StateStore(dir.resolve("state")), c.clock, new SplittableRandom(3));
      c.connectAll();
      c.runRounds(3);
      Thread federation = new Thread(() -> {
        // Keeps training while the browser reads the dashboard, one round at a time.
        for (int r = 4; r <= settings.rounds() && !Thread.currentThread().isInterrupted(); r++) {
          synchronized (engine) {
            try {
              c.runRounds(r);
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }
        }
      }, "federation");
      federation.setDaemon(true);
      federation.start();
      try (DashboardServer server = DashboardServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), false,
          LedgerSource.of(ledger), live(c.coordinator, engine))) {
        String url = "http://127.0.0.1:" + server.port() + "/?autoverify=2";
        Path profile = Files.createTempDirectory(dir, "chromium");
        String dom = chromium(profile, "--dump-dom", url);
        assertTrue(dom.contains("browser-test"), "consortium shown");
        for (int s = 0; s < 4; s++) {
          assertTrue(dom.contains("<td>site-" + s + "</td>"), "budget row of site-" + s);
        }
        assertTrue(dom.contains("class=\"status-committed\">committed"), "rounds shown");
        assertTrue(dom.contains("live</span>"), "live badge shown");
        assertTrue(dom.contains("✓ included"), "inclusion proof of entry 2 verified in the browser:\n" + excerpt(dom));
        assertTrue(dom.contains("checkpoint signature by the coordinator: valid"), "checkpoint signature checked:\n" + excerpt(dom));

        Path shot = Path.of("target", "dashboard.png").toAbsolutePath();
        Files.deleteIfExists(shot);
        chromium(profile, "--screenshot=" + shot, "--window-size=1200,1800", url);
        assertTrue(Files.size(shot) > 10_000, "screenshot written to " + shot);
      } finally {
        federation.interrupt();
        federation.join(60_000);
      }
    }
  }

  /** The running engine's view, read under the same lock the federation thread trains under. */
  private static LiveSource live(Federation fed, Object engine) {
    return new LiveSource() {
      @Override public List<SiteLink> sites() {
        synchronized (engine) {
          return fed.siteStatus().stream().map(s -> new SiteLink(s.siteId(), s.connected(), s.lastSeenEpochMillis())).toList();
        }
      }

      @Override public Optional<RoundProgress> currentRound() {
        synchronized (engine) {
          return fed.roundProgress().map(p -> new RoundProgress(p.round(), p.phase(), p.sampled(), p.answered(), -1));
        }
      }

      @Override public List<RoundStats> roundStats() {
        synchronized (engine) {
          return fed.history().stream().filter(RoundSummary::committed)
              .map(r -> new RoundStats(r.round(), r.meanTrainLoss(), Map.of())).toList();
        }
      }

      @Override public long bytesIn() {
        return 0;
      }

      @Override public long bytesOut() {
        return 0;
      }
    };
  }

  private static String excerpt(String dom) {
    int i = dom.indexOf("verify-result");
    return i < 0 ? "(no verify-result element)" : dom.substring(i, Math.min(dom.length(), i + 600));
  }

  private static String chromium(Path profile, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + profile, "--virtual-time-budget=15000"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish within 120 s");
    }
    assertEquals(0, p.exitValue(), "chromium exit status");
    return new String(out, StandardCharsets.UTF_8);
  }
}
