package org.fedtel.telemetry.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.fedtel.telemetry.io.TelemetryFormatException;
import org.fedtel.telemetry.io.TimeWindow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NabEvaluationTest {
  /**
   * Repeated timestamps are valid input (docs/TELEMETRY.md); label runs split by a normal row at the
   * same instant cannot be separate time windows, so they become one window.
   */
  @Test
  void labelRunsThatShareATimestampAreOneWindow(@TempDir Path dir) throws Exception {
    StringBuilder csv = new StringBuilder("timestamp,value,label\n");
    for (int i = 0; i < 100; i++) {
      long t = 1_393_632_000L + 300L * Math.min(i, 60) + 300L * Math.max(0, i - 62); // rows 60..62 share a time
      String label = i == 60 || i == 62 ? "spike" : i >= 80 && i < 83 ? "dip" : "";
      csv.append(t).append(',').append(i % 7).append(',').append(label).append('\n');
    }
    Path file = dir.resolve("dup.csv");
    Files.writeString(file, csv);
    NabEvaluation.FileResult r = NabEvaluation.evaluateFile(file, null,
        NabEvaluation.Settings.defaults(NabEvaluation.Detector.GAUSSIAN), NabScorer.standard(), new SplittableRandom(1));
    assertEquals(2, r.windows(), "spike, normal, spike at one instant: one window; the dip another");
    assertTrue(r.sweep().inWindow(61), "the normal row at the window's instant is inside it");
    assertTrue(!r.sweep().inWindow(63) && r.sweep().inWindow(80));
  }

  /** A label window that holds no row of the file is an error naming it, not a silent miss. */
  @Test
  void aLabelWindowWithNoRowIsRefused(@TempDir Path dir) throws Exception {
    StringBuilder csv = new StringBuilder("timestamp,value\n");
    for (int i = 0; i < 100; i++) {
      csv.append(1_393_632_000L + 300L * i).append(',').append(i % 7).append('\n');
    }
    Path file = dir.resolve("series.csv");
    Files.writeString(file, csv);
    long first = 1_393_632_000_000L;
    TimeWindow inside = new TimeWindow(first + 300_000L * 40, first + 300_000L * 45);
    TimeWindow after = new TimeWindow(first + 300_000L * 200, first + 300_000L * 210);
    NabEvaluation.Settings settings = NabEvaluation.Settings.defaults(NabEvaluation.Detector.GAUSSIAN);
    TelemetryFormatException e = assertThrows(TelemetryFormatException.class, () -> NabEvaluation.evaluateFile(file,
        List.of(inside, after), settings, NabScorer.standard(), new SplittableRandom(1)));
    assertTrue(e.getMessage().contains("label window 2") && e.getMessage().contains("holds no row"), e.getMessage());
    // Control: the window inside the file is accepted.
    assertEquals(1, NabEvaluation.evaluateFile(file, List.of(inside), settings, NabScorer.standard(),
        new SplittableRandom(1)).windows());
  }
}
