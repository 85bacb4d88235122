package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.LedgerAudit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo through the real command (about half a minute, so tagged heavy). */
@Tag("heavy")
class DemoCommandTest {
  @TempDir Path dir;

  @Test
  void demoRunsEndToEndAndItsLedgerVerifies() throws Exception {
    Path out = dir.resolve("demo");
    PrintStream saved = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int code;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      code = Main.run("demo", "--out", out.toString(), "--rounds", "4");
    } finally {
      System.setOut(saved);
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, text);
    assertTrue(text.contains("survivors 3/4 (dropped: site-4"), text);
    assertTrue(text.contains("ledger verified"), text);
    assertTrue(text.contains("federated feature means over") && text.contains("federated feature deviations over")
        && text.contains("federated threshold of the final model"), text);
    AuditReport report = LedgerAudit.verify(out.resolve("ledger"));
    assertEquals(4 + 3, report.checkpoints(), "4 training rounds and 3 statistics rounds");
    assertTrue(Files.exists(out.resolve("models").resolve("global-site-1.model")));
    assertTrue(Files.exists(out.resolve("results.md")));
  }

  @Test
  void refusesANonEmptyOutputDirectory() throws Exception {
    Files.writeString(dir.resolve("x"), "x");
    int code = Main.run("demo", "--out", dir.toString());
    assertEquals(2, code);
  }
}
