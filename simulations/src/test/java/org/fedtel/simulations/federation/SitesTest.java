package org.fedtel.simulations.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.io.TelemetryFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SitesTest {
  private static final WindowSpec SPEC = new WindowSpec(12, 6, FeatureMode.STATISTICS);

  @TempDir Path dir;

  /** A NAB-style file of 200 rows, 5 minutes apart, value {@code i % 7} except {@code hugeRow}. */
  private Path site(String name, int hugeRow) throws IOException {
    StringBuilder csv = new StringBuilder("timestamp,value\n");
    for (int i = 0; i < 200; i++) {
      csv.append(1_393_632_000L + 300L * i).append(',').append(i == hugeRow ? "1e308" : Integer.toString(i % 7))
          .append('\n');
    }
    return Files.writeString(dir.resolve(name), csv);
  }

  @Test
  void directorySitesLoad() throws Exception {
    site("a.csv", -1);
    site("b.csv", -1);
    Path json = Files.writeString(dir.resolve("w.json"), "{\"x/a.csv\": [], \"x/b.csv\": []}");
    assertEquals(2, Sites.fromDirectory(dir, SPEC, json).sites().size());
  }

  @Test
  void hugeFiniteValuesNameTheFile() throws Exception {
    site("a.csv", -1);
    Path b = site("b.csv", 50);
    TelemetryFormatException e = assertThrows(TelemetryFormatException.class, () -> Sites.fromDirectory(dir, SPEC, null));
    assertTrue(e.getMessage().startsWith(b + ": window ending at data row "), e.getMessage());
    assertTrue(e.getMessage().contains("not finite"), e.getMessage());
  }

  @Test
  void aFileWithoutAnEntryInTheWindowsJsonIsAnError() throws Exception {
    site("a.csv", -1);
    site("b.csv", -1);
    Path json = Files.writeString(dir.resolve("w.json"), "{\"x/a.csv\": []}");
    TelemetryFormatException e = assertThrows(TelemetryFormatException.class, () -> Sites.fromDirectory(dir, SPEC, json));
    assertTrue(e.getMessage().startsWith(json + ": no entry for b.csv"), e.getMessage());
  }
}
