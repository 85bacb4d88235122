package org.fedtel.simulations.generator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeterminismTest {
  static GeneratorConfig small(long seed) {
    return GeneratorConfig.builder().sites(3).nodesPerSite(3).durationSeconds(4 * 3600).intervalSeconds(10)
        .anomalyRate(0.1).nonIidAlpha(0.5).sizeSpread(0.3).seed(seed).build();
  }

  static TreeMap<String, byte[]> read(Path dir) throws IOException {
    TreeMap<String, byte[]> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
      }
    }
    return files;
  }

  @Test
  void sameSeedGivesByteIdenticalOutputWhateverTheThreadCount(@TempDir Path tmp) throws IOException {
    new TelemetryGenerator(small(42)).writeTo(tmp.resolve("a"), 1, n -> {});
    new TelemetryGenerator(small(42)).writeTo(tmp.resolve("b"), 3, n -> {});
    TreeMap<String, byte[]> a = read(tmp.resolve("a"));
    TreeMap<String, byte[]> b = read(tmp.resolve("b"));
    assertEquals(a.keySet(), b.keySet());
    assertTrue(a.containsKey("manifest.json"));
    assertTrue(a.keySet().stream().filter(k -> k.endsWith(".csv")).count() >= 3);
    for (String k : a.keySet()) {
      assertArrayEquals(a.get(k), b.get(k), k + " differs between runs");
    }
  }

  @Test
  void differentSeedGivesDifferentData(@TempDir Path tmp) throws IOException {
    new TelemetryGenerator(small(1)).writeTo(tmp.resolve("a"), 2, n -> {});
    new TelemetryGenerator(small(2)).writeTo(tmp.resolve("b"), 2, n -> {});
    byte[] a = Files.readAllBytes(tmp.resolve("a/site-000/node-0000.csv"));
    byte[] b = Files.readAllBytes(tmp.resolve("b/site-000/node-0000.csv"));
    assertFalse(java.util.Arrays.equals(a, b));
  }

  @Test
  void inMemoryMatchesTheFiles(@TempDir Path tmp) throws IOException {
    TelemetryGenerator g = new TelemetryGenerator(small(9));
    g.writeTo(tmp, 2, n -> {});
    List<String> lines = Files.readAllLines(tmp.resolve("site-001/node-0000.csv"));
    int[] seen = {0};
    g.generateSite(1, (node, time, values, label, x) -> {
      if (node != 0 || seen[0] >= 5) {
        return;
      }
      String[] cols = lines.get(1 + seen[0]).split(",");
      assertEquals(Long.toString(time), cols[0]);
      assertEquals(g.nodeName(1, 0), cols[1]);
      for (Metric m : Metric.values()) {
        assertEquals(values[m.ordinal()], Double.parseDouble(cols[2 + m.ordinal()]), Math.pow(10, -m.decimals()) / 2 + 1e-9,
            m.column());
      }
      assertEquals(label == null ? "normal" : label.label(), cols[cols.length - 1]);
      seen[0]++;
    });
    assertEquals(5, seen[0]);
  }

  @Test
  void refusesANonEmptyDirectory(@TempDir Path tmp) throws IOException {
    Files.writeString(tmp.resolve("x"), "keep me");
    assertThrows(DirectoryNotEmptyException.class, () -> new TelemetryGenerator(small(1)).writeTo(tmp, 1, n -> {}));
    assertEquals("keep me", Files.readString(tmp.resolve("x")));
  }

  @Test
  void progressCountsEveryNode(@TempDir Path tmp) throws IOException {
    TelemetryGenerator g = new TelemetryGenerator(small(3));
    java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
    g.writeTo(tmp, 2, done::addAndGet);
    assertEquals(g.totalNodes(), done.get());
  }
}
