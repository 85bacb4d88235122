package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCommandTest {
  static FedtelCommandTest.Result run(String... args) {
    return FedtelCommandTest.run(args);
  }

  /** A small run; options in {@code extra} replace the defaults here. */
  static String[] generate(Path out, String... extra) {
    java.util.LinkedHashMap<String, String> opts = new java.util.LinkedHashMap<>();
    String[] base = {"--sites", "2", "--nodes-per-site", "3", "--duration", "2h", "--interval", "10s",
        "--anomaly-rate", "0.1", "--non-iid", "0.5", "--seed", "7", "--out", out.toString()};
    for (int i = 0; i < base.length; i += 2) {
      opts.put(base[i], base[i + 1]);
    }
    for (int i = 0; i < extra.length; i += 2) {
      opts.put(extra[i], extra[i + 1]);
    }
    List<String> a = new java.util.ArrayList<>(List.of("--quiet", "data", "generate"));
    opts.forEach((k, v) -> {
      a.add(k);
      a.add(v);
    });
    return a.toArray(new String[0]);
  }

  @Test
  void generatesTheLayoutAndSummary(@TempDir Path tmp) throws IOException {
    Path out = tmp.resolve("data");
    FedtelCommandTest.Result r = run(generate(out));
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("wrote 2 sites, 6 nodes, 4320 samples (432 anomalous, 10.00%)"), r.out());
    assertTrue(Files.exists(out.resolve("manifest.json")));
    assertTrue(Files.exists(out.resolve("site-001/site.json")));
    List<String> lines = Files.readAllLines(out.resolve("site-000/node-0002.csv"));
    assertEquals(721, lines.size());
    assertTrue(lines.get(0).startsWith("timestamp,node,cpu_user_pct,"), lines.get(0));
    assertTrue(lines.get(0).endsWith(",label"), lines.get(0));
    assertTrue(lines.get(1).startsWith("1767225600,s000-n0002,"), lines.get(1));
    String manifest = Files.readString(out.resolve("manifest.json"));
    assertTrue(manifest.contains("\"seed\": 7"), manifest);
    assertTrue(manifest.contains("\"non_iid_alpha\": 0.5"), manifest);
  }

  @Test
  void sameArgumentsGiveByteIdenticalOutput(@TempDir Path tmp) throws IOException {
    assertEquals(0, run(generate(tmp.resolve("a"), "--threads", "1")).exit());
    assertEquals(0, run(generate(tmp.resolve("b"), "--threads", "2")).exit());
    try (Stream<Path> files = Files.walk(tmp.resolve("a"))) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        Path other = tmp.resolve("b").resolve(tmp.resolve("a").relativize(p));
        assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(other), p.toString());
      }
    }
  }

  @Test
  void badInputIsOneClearLine(@TempDir Path tmp) throws IOException {
    Path full = Files.createDirectories(tmp.resolve("full"));
    Files.writeString(full.resolve("x"), "keep");
    Path file = Files.writeString(tmp.resolve("file"), "");
    String[][] cases = {
      {"--out", full.toString()}, {"is not empty"},
      {"--out", file.toString()}, {"not a directory"},
      {"--duration", "2 days"}, {"--duration"},
      {"--duration", "0h"}, {"positive"},
      {"--interval", "1.5s"}, {"--interval"},
      {"--interval", "30m", "--duration", "10m"}, {"at least one interval"},
      {"--interval", "2h"}, {"interval must be in"},
      {"--anomaly-rate", "0.9"}, {"anomaly rate"},
      {"--anomaly-rate", "NaN"}, {"anomaly rate"},
      {"--non-iid", "0"}, {"alpha"},
      {"--sites", "0"}, {"sites"},
      {"--anomaly-types", "cpuoccupy,bogus"}, {"bogus"},
      {"--intensity-min", "0.9", "--intensity-max", "0.5"}, {"intensity"},
      {"--start", "yesterday"}, {"--start"},
      {"--threads", "0"}, {"--threads"},
      {"--sites", "many"}, {"many"},
    };
    for (int i = 0; i < cases.length; i += 2) {
      String[] args = generate(tmp.resolve("out" + i), cases[i]);
      FedtelCommandTest.Result r = run(args);
      String what = String.join(" ", cases[i]);
      assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit(), what + ": " + r.err());
      String first = r.err().lines().findFirst().orElse("");
      assertTrue(first.startsWith("fedtel: ") && first.contains(cases[i + 1][0]), what + " -> " + r.err());
    }
    assertEquals("keep", Files.readString(full.resolve("x")));
  }
}
