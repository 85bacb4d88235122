package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
  static final Path NAB = Path.of(System.getProperty("fedtel.nab", "/work/shared/data/nab"));
  static final Path FILE = NAB.resolve("realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv");
  static final Path WINDOWS = NAB.resolve("windows.json");

  static double field(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\":(-?[0-9.Ee+-]+|null)").matcher(json);
    assertTrue(m.find(), key + " missing in " + json);
    return m.group(1).equals("null") ? Double.NaN : Double.parseDouble(m.group(1));
  }

  @Test
  void evalOnARealNabFilePrintsConsistentJson() {
    FedtelCommandTest.Result r = FedtelCommandTest.run("-q", "eval", "--input", FILE.toString(), "--windows",
        WINDOWS.toString(), "--detector", "gaussian", "--json");
    assertEquals(0, r.exit(), r.err());
    String json = r.out().trim();
    for (String k : new String[] {"nab_score", "f1", "precision", "recall", "roc_auc", "pr_auc"}) {
      field(json, k);
    }
    assertTrue(json.contains("\"files\":[{\"file\":\"ec2_cpu_utilization_825cc2.csv\""), json);
    double tp = field(json, "tp");
    double fp = field(json, "fp");
    double fn = field(json, "fn");
    assertEquals(2 * tp / (2 * tp + fp + fn), field(json, "f1"), 1e-12);
    double auc = field(json, "roc_auc");
    assertTrue(auc >= 0 && auc <= 1, json);
    // NAB scores with one file: the corpus score equals the file's score
    String file = json.substring(json.indexOf("\"files\""));
    assertEquals(field(json, "nab_score"), field(file, "nab_score"), 1e-9);
    // the optimized threshold can only do at least as well as no detection (0) and the own threshold
    assertTrue(field(json, "nab_score_optimized") >= Math.max(0, field(json, "nab_score")) - 1e-9, json);
  }

  @Test
  void labelsFromALabelColumnWithoutWindowsJson(@TempDir Path dir) throws Exception {
    StringBuilder sb = new StringBuilder("timestamp,cpu,label\n");
    for (int i = 0; i < 400; i++) {
      boolean anomaly = i >= 300 && i < 320;
      double v = Math.sin(i / 5.0) + (anomaly ? 8 : 0);
      sb.append(1_700_000_000L + 60L * i).append(',').append(v).append(',').append(anomaly ? "cpuoccupy" : "").append('\n');
    }
    Path f = dir.resolve("synthetic.csv");
    Files.writeString(f, sb);
    FedtelCommandTest.Result r = FedtelCommandTest.run("-q", "eval", "--input", f.toString(), "--detector", "gaussian", "--json");
    assertEquals(0, r.exit(), r.err());
    // an 8-sigma step is caught at once: recall over the window rows is high and the NAB score near perfect
    assertTrue(field(r.out(), "nab_score") > 90, r.out());
    assertTrue(field(r.out(), "roc_auc") > 0.9, r.out());
    // per-type recall uses the label column's type; the step is flagged in its first row: delay 0
    assertTrue(r.out().contains("\"recall_by_type\":{\"cpuoccupy\":"), r.out());
    assertTrue(field(r.out(), "cpuoccupy") > 0.5, r.out());
    assertTrue(r.out().contains("\"detection_delay\":{\"episodes\":1,\"detected\":1,"), r.out());
    assertEquals(0.0, field(r.out(), "median_seconds"), r.out());
  }

  @Test
  void badInputIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
    FedtelCommandTest.Result r = FedtelCommandTest.run("eval", "--input", FILE.toString(), "--detector", "magic");
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("unknown detector 'magic'"), r.err());
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, "timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,x\n");
    r = FedtelCommandTest.run("eval", "--input", bad.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("bad.csv:3:21: value \"x\" is not a number"), r.err());
    Path json = dir.resolve("w.json");
    Files.writeString(json, "{\"other.csv\": []}");
    r = FedtelCommandTest.run("eval", "--input", FILE.toString(), "--windows", json.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("has no entry for ec2_cpu_utilization_825cc2.csv"), r.err());
    r = FedtelCommandTest.run("eval", "--input", dir.resolve("missing").toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("no such file or directory"), r.err());
  }

  @Test
  void badLabelWindowsAreOneLineAndExitTwo(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("m");
    Files.createDirectories(data);
    Path file = Files.copy(FILE, data.resolve(FILE.getFileName()));
    Path overlap = dir.resolve("overlap.json");
    Files.writeString(overlap, "{\"ec2_cpu_utilization_825cc2.csv\": [[\"2014-04-11 00:00:00\", \"2014-04-12 00:00:00\"],"
        + " [\"2014-04-11 12:00:00\", \"2014-04-13 00:00:00\"]]}");
    FedtelCommandTest.Result r = FedtelCommandTest.run("eval", "--input", file.toString(), "--detector", "gaussian",
        "--windows", overlap.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("overlap.json:1:") && r.err().contains("window 2 [2014-04-11 12:00:00"), r.err());
    Path ambiguous = dir.resolve("ambiguous.json");
    Files.writeString(ambiguous, "{\"a/ec2_cpu_utilization_825cc2.csv\": [], \"b/ec2_cpu_utilization_825cc2.csv\": []}");
    r = FedtelCommandTest.run("eval", "--input", file.toString(), "--detector", "gaussian",
        "--windows", ambiguous.toString());
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("ambiguous.json: file name ec2_cpu_utilization_825cc2.csv matches two entries"), r.err());
  }

  @Test
  void repeatedTimestampsWithAlternatingLabelsEvaluate(@TempDir Path dir) throws Exception {
    StringBuilder csv = new StringBuilder("timestamp,value,label\n");
    for (int i = 0; i < 200; i++) {
      long t = 1_393_632_000L + 300L * (Math.min(i, 148) + Math.max(0, i - 150)); // rows 148..150 share a time
      String label = i == 148 || i == 150 ? "spike" : "";
      csv.append(t).append(',').append(i % 7 + (label.isEmpty() ? 0 : 50)).append(',').append(label).append('\n');
    }
    Path file = dir.resolve("dup.csv");
    Files.writeString(file, csv);
    FedtelCommandTest.Result r = FedtelCommandTest.run("eval", "--input", file.toString(), "--detector", "gaussian",
        "--json");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("\"windows\":1"), r.out());
  }

  @Test
  void hugeFiniteValuesAreAUserErrorNamingTheFile(@TempDir Path dir) throws Exception {
    List<String> lines = new java.util.ArrayList<>(Files.readAllLines(FILE));
    lines.set(99, lines.get(99).substring(0, lines.get(99).indexOf(',')) + ",1e308");
    Path big = dir.resolve(FILE.getFileName());
    Files.write(big, lines);
    for (String detector : List.of("autoencoder", "iforest")) {
      FedtelCommandTest.Result r = FedtelCommandTest.run("eval", "--input", big.toString(), "--detector", detector,
          "--epochs", "1", "--windows", WINDOWS.toString());
      assertEquals(2, r.exit(), detector + ": " + r.err());
      assertTrue(r.err().contains(big + ": ") && r.err().contains("not finite"), r.err());
    }
  }
}
