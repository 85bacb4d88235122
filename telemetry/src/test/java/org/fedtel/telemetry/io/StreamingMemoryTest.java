package org.fedtel.telemetry.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Windowing a large CSV needs constant heap: 2 GiB of generated CSV (override with
 * -Dfedtel.streaming.bytes) through the reader and windower in a child JVM limited to 32 MiB.
 */
@Tag("heavy")
class StreamingMemoryTest {
  @Test
  void twoGibibytesThroughA32MebibyteHeap() throws Exception {
    long bytes = Long.getLong("fedtel.streaming.bytes", 2L << 30);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx32m", "-cp", System.getProperty("java.class.path"),
        StreamingProbe.class.getName(), Long.toString(bytes)).redirectErrorStream(true).start();
    assertTrue(p.waitFor(30, TimeUnit.MINUTES), "probe did not finish");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, p.exitValue(), out);
    String[] f = out.split(" ");
    assertTrue(Long.parseLong(f[0]) >= bytes, out);
    long rows = Long.parseLong(f[1]);
    long windows = 0;
    for (int node = 0; node < 4; node++) {
      long n = rows / 4 + (node < rows % 4 ? 1 : 0);
      windows += n < 60 ? 0 : (n - 60) / 10 + 1; // windows of 60 samples every 10, per node
    }
    assertEquals(windows, Long.parseLong(f[2]), out);
    assertEquals("true", f[3]);
  }
}
