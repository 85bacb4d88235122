package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetectCommandTest {
  @Test
  void modelTrainedByEvalScoresTheFileEndToEnd(@TempDir Path dir) throws Exception {
    Path models = dir.resolve("models");
    FedtelCommandTest.Result r = FedtelCommandTest.run("-q", "eval", "--input", EvalCommandTest.FILE.toString(),
        "--windows", EvalCommandTest.WINDOWS.toString(), "--detector", "autoencoder", "--epochs", "5",
        "--save-models", models.toString(), "--json");
    assertEquals(0, r.exit(), r.err());
    Path model = models.resolve("ec2_cpu_utilization_825cc2.csv.model");
    assertTrue(Files.size(model) > 1000);
    Path out = dir.resolve("scores.csv");
    r = FedtelCommandTest.run("-q", "detect", "--model", model.toString(), "--input", EvalCommandTest.FILE.toString(),
        "--out", out.toString());
    assertEquals(0, r.exit(), r.err());
    List<String> lines = Files.readAllLines(out);
    assertEquals("node,timestamp,row,score,anomalous,label", lines.get(0));
    assertEquals(4032 - 32 + 1, lines.size() - 1, "one line per window of 32 rows");
    assertTrue(lines.get(1).startsWith(",2014-04-10T02:39:00Z,31,"), lines.get(1));
    long flagged = lines.stream().skip(1).filter(l -> l.split(",")[4].equals("1")).count();
    assertTrue(flagged > 0 && flagged < lines.size() - 1, "some but not all windows flagged: " + flagged);
    // the model hash eval reported is the hash of the file detect used
    String hash = org.fedtel.telemetry.detect.AnomalyModel.decode(Files.readAllBytes(model)).sha256Hex();
    assertTrue(r.err().isEmpty() || r.err().contains(hash.substring(0, 16)), r.err());
    // to stdout without --out
    r = FedtelCommandTest.run("-q", "detect", "--model", model.toString(), "--input", EvalCommandTest.FILE.toString());
    assertEquals(0, r.exit(), r.err());
    assertEquals(lines.size(), r.out().split("\n").length);
  }

  @Test
  void corruptModelOrMismatchedInputFailsClearly(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("m.model");
    Files.write(model, new byte[] {'F', 'T', 'L', 'M', 0, 1, 0});
    FedtelCommandTest.Result r = FedtelCommandTest.run("detect", "--model", model.toString(), "--input",
        EvalCommandTest.FILE.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("truncated model file"), r.err());
    Files.writeString(model, "not a model");
    r = FedtelCommandTest.run("detect", "--model", model.toString(), "--input", EvalCommandTest.FILE.toString());
    assertEquals(2, r.exit());
    assertTrue(r.err().contains("bad magic"), r.err());
  }

  @Test
  void outputThatIsTheInputIsRefusedAndTheInputKept(@TempDir Path dir) throws Exception {
    Path models = dir.resolve("models");
    FedtelCommandTest.Result r = FedtelCommandTest.run("-q", "eval", "--input", EvalCommandTest.FILE.toString(),
        "--windows", EvalCommandTest.WINDOWS.toString(), "--detector", "autoencoder", "--epochs", "1",
        "--save-models", models.toString());
    assertEquals(0, r.exit(), r.err());
    Path model = models.resolve("ec2_cpu_utilization_825cc2.csv.model");
    Path input = dir.resolve("victim.csv");
    Files.copy(EvalCommandTest.FILE, input);
    byte[] before = Files.readAllBytes(input);
    // the same file under another spelling is still the same file
    for (Path out : List.of(input, dir.resolve(".").resolve("victim.csv"))) {
      r = FedtelCommandTest.run("detect", "--model", model.toString(), "--input", input.toString(),
          "--out", out.toString());
      assertEquals(2, r.exit(), r.err());
      assertTrue(r.err().contains("--out") && r.err().contains("is the input"), r.err());
      assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(input)), "input untouched");
    }
  }
}
