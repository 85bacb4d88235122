package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
  @Test
  void printsFirstStepThenAtIntervalsAndTheEnd() {
    Progress.setEnabled(true); // a command run earlier in this JVM with --quiet turns progress off
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    AtomicLong clock = new AtomicLong();
    try (Progress p = Progress.forTest("rounds", 4, new PrintStream(bytes, true), clock::get)) {
      clock.set(1_000_000_000L);
      p.advance(1); // first update prints
      clock.set(2_000_000_000L);
      p.advance(1); // within 5 s: silent
      clock.set(8_000_000_000L);
      p.advance(1); // past 5 s: prints
      p.advance(1); // finished: prints
    }
    String[] lines = bytes.toString().split("\n");
    assertEquals(3, lines.length, bytes.toString());
    assertTrue(lines[0].startsWith("rounds [") && lines[0].contains("1/4  25% ETA 0m03s"), lines[0]);
    assertTrue(lines[2].contains("4/4 100% in 0m08s"), lines[2]);
  }
}
