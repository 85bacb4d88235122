package org.fedtel.coordinator.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The dashboard page in a real headless Chromium: it loads, renders the rounds and budgets it
 * fetched, verifies an inclusion proof in the browser, and a screenshot is kept in
 * {@code coordinator/target/dashboard.png}. Needs Debian's {@code chromium}; {@code .ci/run} installs
 * it, and with {@code CI=true} a missing browser fails the test instead of skipping it.
 */
class DashboardBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @Test
  void pageShowsRoundsBudgetsAndVerifiesAProof() throws Exception {
    if (!Files.isExecutable(CHROMIUM)) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("chromium is required in CI (.ci/run installs it) but " + CHROMIUM + " is missing");
      }
      Assumptions.abort("chromium is not installed; apt-get install chromium to run the browser test");
    }
    DashboardServerTest.start();
    try {
      String url = "http://127.0.0.1:" + DashboardServerTest.server.port() + "/?autoverify=2";
      Path profile = Files.createTempDirectory("fedtel-chromium");
      String dom = chromium(profile, "--dump-dom", url);
      assertTrue(dom.contains("test-consortium"), "consortium shown");
      for (int s = 0; s < 4; s++) {
        assertTrue(dom.contains("<td>site-0" + s + "</td>"), "budget row of site-0" + s);
      }
      assertTrue(dom.contains("class=\"status-committed\">committed"), "rounds shown");
      assertTrue(dom.contains("id=\"learning-curve\""), "learning curve drawn");
      assertTrue(dom.contains("✓ included"), "inclusion proof of entry 2 verified in the browser:\n" + excerpt(dom));
      assertTrue(dom.contains("checkpoint signature by the coordinator: valid"), "checkpoint signature checked:\n" + excerpt(dom));

      Path shot = Path.of("target", "dashboard.png").toAbsolutePath();
      Files.deleteIfExists(shot);
      chromium(profile, "--screenshot=" + shot, "--window-size=1200,1800", url);
      assertTrue(Files.size(shot) > 10_000, "screenshot written to " + shot);
    } finally {
      DashboardServerTest.stop();
    }
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
