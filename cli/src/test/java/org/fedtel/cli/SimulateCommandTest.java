package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedtel.simulations.experiment.ResultsCsv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulateCommandTest {
  @TempDir Path dir;

  private FedtelCommandTest.Result sweep(Path out) {
    return FedtelCommandTest.run("--quiet", "simulate", "--sites", "3", "--nodes-per-site", "1", "--duration", "8h",
        "--rounds", "2", "--local-epochs", "1", "--epsilon", "50,inf", "--dropout", "0,0.2", "--threads", "2",
        "--seed", "4", "--out", out.toString());
  }

  @Test
  void smallSweepEndToEndIsReproducible() throws Exception {
    FedtelCommandTest.Result a = sweep(dir.resolve("a"));
    assertEquals(0, a.exit(), a.err());
    List<String> rows = Files.readAllLines(dir.resolve("a/results.csv"));
    assertEquals(String.join(",", ResultsCsv.COLUMNS), rows.get(0));
    // local-only, centralized, 2 private runs (eps 50 x 2 dropouts), 2 non-private runs; 2 rounds each.
    assertEquals(1 + 6 * 2, rows.size(), String.join("\n", rows));
    String html = Files.readString(dir.resolve("a/report.html"));
    assertTrue(html.contains("F1 against epsilon") && html.contains("<svg"), "report has its charts");
    String command = "fedtel --quiet simulate --sites 3 --nodes-per-site 1 --duration 8h --rounds 2 --local-epochs 1 "
        + "--epsilon 50,inf --dropout 0,0.2 --threads 2 --seed 4 --out " + dir.resolve("a");
    assertTrue(html.contains("<pre>" + command + "</pre>"), "report names the exact command: " + html);
    // and it parses back to the same command line
    List<String> words = shellWords(command);
    assertEquals("fedtel", words.get(0));
    List<picocli.CommandLine> parsed = FedtelCommand.newCommandLine().parseArgs(words.subList(1, words.size())
        .toArray(new String[0])).asCommandLineList();
    assertEquals("simulate", parsed.get(parsed.size() - 1).getCommandName());
    assertTrue(a.out().contains("federated_distributed_eps50_drop0.2"), a.out());

    FedtelCommandTest.Result b = sweep(dir.resolve("b"));
    assertEquals(0, b.exit(), b.err());
    assertEquals(withoutTime(rows), withoutTime(Files.readAllLines(dir.resolve("b/results.csv"))),
        "the same seed gives the same results in every column but round_millis");
  }

  @Test
  void reportCommandQuotesWhatTheShellWouldSplit() throws Exception {
    List<String> args = List.of("simulate", "--data", "my data", "--windows", "it's.json", "--out", "a;rm -rf b",
        "--epsilon", "50,inf", "", "$HOME", "x*");
    String command = SimulateCommand.shellCommand(args);
    assertEquals("fedtel simulate --data 'my data' --windows 'it'\\''s.json' --out 'a;rm -rf b' --epsilon 50,inf '' "
        + "'$HOME' 'x*'", command);
    List<String> words = shellWords(command);
    assertEquals(args, words.subList(1, words.size()), "a POSIX shell gives back the arguments");
  }

  /** The words a POSIX shell makes of {@code command}. */
  private List<String> shellWords(String command) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "set -- " + command + "; printf '%s\\0' \"$@\"").start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor());
    String[] words = out.split("\0", -1); // each word ends with a NUL
    return List.of(words).subList(0, words.length - 1);
  }

  @Test
  void localDpSgdRunThroughTheCommandSpendsWithinItsEpsilon() throws Exception {
    FedtelCommandTest.Result r = FedtelCommandTest.run("--quiet", "simulate", "--sites", "3", "--nodes-per-site", "1",
        "--duration", "6h", "--rounds", "2", "--local-epochs", "1", "--privacy", "local", "--epsilon", "4",
        "--dropout", "0", "--no-baselines", "--threads", "1", "--seed", "5", "--out", dir.resolve("l").toString());
    assertEquals(0, r.exit(), r.err());
    List<String> rows = Files.readAllLines(dir.resolve("l/results.csv"));
    List<String> columns = List.of(rows.get(0).split(","));
    List<String> local = rows.stream().filter(x -> x.startsWith("federated_local_eps4")).toList();
    assertEquals(2, local.size(), String.join("\n", rows));
    String[] last = local.get(1).split(",");
    int eps = columns.indexOf("epsilon_max");
    assertTrue(eps >= 0, "results.csv has epsilon_max: " + rows.get(0));
    double spent = Double.parseDouble(last[eps]);
    assertTrue(spent > 3.9 && spent <= 4, "local DP-SGD run spends its target epsilon 4: " + spent);
  }

  private FedtelCommandTest.Result failureSweep(Path out, String siteThreads) {
    return FedtelCommandTest.run("--quiet", "simulate", "--sites", "4", "--nodes-per-site", "1", "--duration", "8h",
        "--rounds", "3", "--local-epochs", "1", "--epsilon", "inf", "--no-baselines", "--dropout-after-share", "0,0.3",
        "--stragglers", "0,0.3", "--threads", "1", "--site-threads", siteThreads, "--seed", "6", "--out", out.toString());
  }

  @Test
  void dropoutPhasesAndStragglersSweepThroughTheCommand() throws Exception {
    FedtelCommandTest.Result r = failureSweep(dir.resolve("f1"), "1");
    assertEquals(0, r.exit(), r.err());
    List<String> rows = Files.readAllLines(dir.resolve("f1/results.csv"));
    List<String> columns = List.of(rows.get(0).split(","));
    // 2 values of --dropout-after-share x 2 of --stragglers, non-private, 3 rounds each.
    assertEquals(1 + 4 * 3, rows.size(), String.join("\n", rows));
    int id = columns.indexOf("run_id");
    int share = columns.indexOf("dropped_share");
    int mask = columns.indexOf("dropped_mask");
    int cut = columns.indexOf("stragglers_cut");
    int stragglers = columns.indexOf("stragglers");
    int afterShare = columns.indexOf("dropout_after_share");
    assertTrue(share >= 0 && mask >= 0 && cut >= 0 && stragglers >= 0 && afterShare >= 0, rows.get(0));
    int totalCut = 0;
    int totalMask = 0;
    for (String row : rows.subList(1, rows.size())) {
      String[] f = row.split(",", -1);
      assertEquals(0, Integer.parseInt(f[share]), "nobody drops after advertising: " + row);
      if (Double.parseDouble(f[stragglers]) == 0) {
        assertEquals(0, Integer.parseInt(f[cut]), row);
      }
      if (Double.parseDouble(f[afterShare]) == 0 && Double.parseDouble(f[stragglers]) == 0) {
        assertEquals(0, Integer.parseInt(f[mask]), "no dropout, no stragglers: " + row);
      }
      totalCut += Integer.parseInt(f[cut]);
      totalMask += Integer.parseInt(f[mask]);
    }
    assertTrue(totalCut > 0, "stragglers were cut and counted");
    assertTrue(totalMask > totalCut, "sites dropped after sharing, besides the stragglers");
    assertTrue(rows.stream().anyMatch(x -> x.startsWith("federated-nodp_drop0.0_shr0.3_strag0.3,")), String.join("\n", rows));

    FedtelCommandTest.Result two = failureSweep(dir.resolve("f2"), "2");
    assertEquals(0, two.exit(), two.err());
    assertEquals(withoutTime(rows), withoutTime(Files.readAllLines(dir.resolve("f2/results.csv"))),
        "the sites' work on 1 or 2 threads gives the same results");
  }

  /** Every column but round_millis (not reproducible); the header is kept as it is. */
  private static List<String> withoutTime(List<String> rows) {
    int time = ResultsCsv.COLUMNS.indexOf("round_millis");
    return rows.stream().map(r -> {
      String[] f = r.split(",", -1);
      if (!r.equals(rows.get(0))) {
        f[time] = "";
      }
      return String.join(",", f);
    }).toList();
  }

  private FedtelCommandTest.Result statisticsSweep(Path out, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("--quiet", "simulate", "--sites", "4", "--nodes-per-site", "1",
        "--duration", "8h", "--rounds", "2", "--local-epochs", "1", "--epsilon", "40,inf", "--no-baselines", "--threads", "1",
        "--seed", "8", "--out", out.toString()));
    args.addAll(List.of(extra));
    return FedtelCommandTest.run(args.toArray(new String[0]));
  }

  @Test
  void federatedStatisticsRunThroughTheCommandWithinTheTargetAndReproducibly() throws Exception {
    FedtelCommandTest.Result a = statisticsSweep(dir.resolve("s1"), "--federated-statistics");
    assertEquals(0, a.exit(), a.err());
    FedtelCommandTest.Result plain = statisticsSweep(dir.resolve("s0"));
    assertEquals(0, plain.exit(), plain.err());
    List<String> rows = Files.readAllLines(dir.resolve("s1/results.csv"));
    List<String> plainRows = Files.readAllLines(dir.resolve("s0/results.csv"));
    assertEquals(String.join(",", ResultsCsv.COLUMNS), rows.get(0));
    // 1 private and 1 non-private run, 2 training rounds each: the 3 statistics rounds add no rows.
    assertEquals(1 + 2 * 2, rows.size(), String.join("\n", rows));
    assertEquals(plainRows.size(), rows.size());
    int fs = ResultsCsv.COLUMNS.indexOf("federated_statistics");
    int source = ResultsCsv.COLUMNS.indexOf("threshold_source");
    int threshold = ResultsCsv.COLUMNS.indexOf("threshold");
    int eps = ResultsCsv.COLUMNS.indexOf("epsilon_max");
    int siteEps = ResultsCsv.COLUMNS.indexOf("epsilon_max_site_view");
    for (int i = 1; i < rows.size(); i++) {
      String[] f = rows.get(i).split(",", -1);
      String[] p = plainRows.get(i).split(",", -1);
      assertEquals("1", f[fs], rows.get(i));
      assertEquals("0", p[fs], plainRows.get(i));
      assertEquals("site_p99", p[source]);
      boolean last = f[ResultsCsv.COLUMNS.indexOf("round")].equals("2");
      assertEquals(last ? "federated" : "site_p99", f[source], rows.get(i));
      if (last) {
        assertTrue(Double.parseDouble(f[threshold]) > 0, rows.get(i));
      }
      if (f[0].startsWith("federated_distributed_eps40")) {
        double spent = Double.parseDouble(f[eps]);
        assertTrue(spent <= 40 && Double.parseDouble(f[siteEps]) <= 40, "within the target: " + rows.get(i));
        // Round 1 carries the two feature rounds too, so it is above the plain run's first round.
        assertTrue(last ? spent > 36 : spent > Double.parseDouble(p[eps]), rows.get(i) + " vs " + plainRows.get(i));
      }
    }
    FedtelCommandTest.Result b = statisticsSweep(dir.resolve("s2"), "--federated-statistics");
    assertEquals(0, b.exit(), b.err());
    assertEquals(withoutTime(rows), withoutTime(Files.readAllLines(dir.resolve("s2/results.csv"))),
        "the same seed gives the same results in every column but round_millis");
  }

  @Test
  void aTargetBelowTheStatisticsRoundsIsAOneLineError() {
    FedtelCommandTest.Result r = FedtelCommandTest.run("simulate", "--sites", "3", "--epsilon", "2,8", "--federated-statistics",
        "--out", dir.toString());
    assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit(), r.err());
    assertTrue(r.err().startsWith("fedtel: --epsilon 2 leaves nothing for training") && r.err().contains("2.541"), r.err());
  }

  @Test
  void windowsWithoutDataIsRefused() throws Exception {
    Path json = Files.writeString(dir.resolve("w.json"), "{}");
    FedtelCommandTest.Result r = FedtelCommandTest.run("--quiet", "simulate", "--sites", "3", "--nodes-per-site", "1",
        "--duration", "6h", "--rounds", "1", "--local-epochs", "1", "--epsilon", "inf", "--dropout", "0",
        "--no-baselines", "--threads", "1", "--windows", json.toString(), "--out", dir.resolve("w").toString());
    assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit(), r.err());
    assertTrue(r.err().startsWith("fedtel: --windows needs --data"), r.err());
  }

  @Test
  void dataFilesWithoutAWindowsEntryAreRefused() throws Exception {
    Path data = Files.createDirectories(dir.resolve("d"));
    for (String site : List.of("a", "b", "c")) {
      StringBuilder csv = new StringBuilder("timestamp,value\n");
      for (int i = 0; i < 200; i++) {
        csv.append(1_393_632_000L + 300L * i).append(',').append(i % 7).append('\n');
      }
      Files.writeString(data.resolve(site + ".csv"), csv);
    }
    Path json = Files.writeString(dir.resolve("w.json"), "{\"a.csv\": [], \"b.csv\": []}");
    FedtelCommandTest.Result r = FedtelCommandTest.run("--quiet", "simulate", "--data", data.toString(),
        "--nodes-per-site", "1", "--rounds", "1", "--local-epochs", "1", "--epsilon", "inf", "--dropout", "0",
        "--no-baselines", "--threads", "1", "--site-threads", "1", "--windows", json.toString(),
        "--out", dir.resolve("o").toString());
    assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit(), r.err());
    assertTrue(r.err().startsWith("fedtel: " + json + ": no entry for c.csv"), r.err());
  }

  @Test
  void badInputIsOneLine() {
    String[][] cases = {
      {"simulate", "--sites", "2", "--out", dir.toString()},
      {"simulate", "--sites", "3", "--epsilon", "0", "--out", dir.toString()},
      {"simulate", "--sites", "3", "--privacy", "central", "--out", dir.toString()},
      {"simulate", "--sites", "3", "--dropout", "1.5", "--out", dir.toString()},
      {"simulate", "--sites", "3", "--dropout-after-share", "-0.1", "--out", dir.toString()},
      {"simulate", "--sites", "3", "--dropout-after-mask", "1", "--out", dir.toString()},
      {"simulate", "--sites", "3", "--stragglers", "0.2,0.2", "--out", dir.toString()},
      {"simulate", "--sites", "3", "--site-threads", "0", "--out", dir.toString()},
      {"simulate", "--sites", "3", "--strategy", "fedmagic", "--out", dir.toString()},
      {"simulate", "--data", dir.resolve("missing").toString(), "--out", dir.toString()},
      {"simulate", "--sites", "3", "--data", dir.toString()},
    };
    for (String[] c : cases) {
      FedtelCommandTest.Result r = FedtelCommandTest.run(c);
      assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit(), String.join(" ", c) + ": " + r.err());
      assertTrue(r.err().startsWith("fedtel: "), String.join(" ", c) + ": " + r.err());
    }
  }
}
