package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
}
