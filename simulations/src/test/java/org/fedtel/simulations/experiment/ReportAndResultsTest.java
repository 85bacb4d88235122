package org.fedtel.simulations.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportAndResultsTest {
  @TempDir Path dir;

  /** Rounds whose numbers follow from the spec alone, so two sweeps can be compared. */
  private static List<RoundRecord> rounds(RunSpec spec) {
    List<RoundRecord> out = new ArrayList<>();
    double cap = Double.isInfinite(spec.epsilon()) ? 0.9 : 0.9 * spec.epsilon() / (1 + spec.epsilon());
    for (int r = 1; r <= 3; r++) {
      double f1 = cap * r / 3;
      double[] eps = Double.isInfinite(spec.epsilon()) ? new double[0] : new double[] {spec.epsilon() * r / 3, spec.epsilon() * r / 4};
      out.add(new RoundRecord(spec.id(), r, 1.0 / r,
          new RoundRecord.Quality(f1, f1, f1, 0.5 + f1 / 2, f1, Map.of("memleak", f1, "cpuoccupy", f1 / 2)), eps, 4, 3, 10));
    }
    return out;
  }

  @Test
  void sweepWritesCompleteRunsInSweepOrderAndAReport() throws Exception {
    List<RunSpec> specs = SweepGrid.expand(List.of("distributed"), List.of(0.5, 2.0, 8.0), 1e-5, List.of(0.0), 11, true);
    Path csv = dir.resolve("results.csv");
    List<String> finishedOrder = new ArrayList<>();
    List<Report.Run> runs;
    try (ResultsCsv results = ResultsCsv.create(csv)) {
      runs = new Sweep(ReportAndResultsTest::rounds, 2).run(specs, results, (spec, r) -> finishedOrder.add(spec.id()));
    }
    assertEquals(specs, runs.stream().map(Report.Run::spec).toList());
    assertEquals(specs.size(), finishedOrder.size());

    List<String> lines = Files.readAllLines(csv);
    assertEquals(String.join(",", ResultsCsv.COLUMNS), lines.get(0));
    assertEquals(1 + 3 * specs.size(), lines.size());
    String first = lines.stream().filter(l -> l.startsWith("federated_distributed_eps2_drop0.0,")).findFirst().orElseThrow();
    String[] cells = first.split(",", -1);
    assertEquals(ResultsCsv.COLUMNS.size(), cells.length);
    assertEquals("federated", cells[1]);
    assertEquals("2", cells[3]);
    assertEquals("0.666667;0.500000", cells[ResultsCsv.COLUMNS.indexOf("epsilon_per_site")]);
    assertEquals("cpuoccupy=0.100000;memleak=0.200000", cells[ResultsCsv.COLUMNS.indexOf("recall_by_type")]);

    Path html = dir.resolve("report.html");
    Report.write(html, "fedtel simulation", "fedtel simulate --sites 4 --epsilon 0.5,2,8", runs);
    String page = Files.readString(html);
    assertTrue(page.contains("F1 against epsilon"));
    assertTrue(page.contains("Recall per anomaly type"));
    assertTrue(page.contains("fedtel simulate --sites 4 --epsilon 0.5,2,8"));
    assertTrue(page.split("<svg", -1).length - 1 >= 5, "five charts are embedded");
    assertFalse(page.contains("http://cdn") || page.contains("<script src="), "no external assets");
  }

  @Test
  void fileIsInSweepOrderWhateverTheThreadCount() throws Exception {
    List<RunSpec> specs = SweepGrid.expand(List.of("local"), List.of(1.0, 3.0), 1e-5, List.of(0.1), 5, true);
    List<String> a = sweepLines(specs, "a.csv", 1);
    List<String> b = sweepLines(specs, "b.csv", 2);
    assertEquals(a, b);
    List<String> expectedOrder = specs.stream().map(RunSpec::id).toList();
    List<String> actualOrder = a.stream().skip(1).map(l -> l.substring(0, l.indexOf(','))).distinct().toList();
    assertEquals(expectedOrder, actualOrder);
  }

  @Test
  void flushFinishedWritesRunsWaitingForAnUnfinishedOne() throws Exception {
    List<RunSpec> specs = SweepGrid.expand(List.of("local"), List.of(1.0), 1e-5, List.of(0.0), 5, true);
    Path csv = dir.resolve("partial.csv");
    java.util.concurrent.CountDownLatch laterRunsDone = new java.util.concurrent.CountDownLatch(specs.size() - 1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Sweep sweep = new Sweep(spec -> {
      if (spec.equals(specs.get(0))) {
        release.await();
      }
      return rounds(spec);
    }, 2);
    try (ResultsCsv results = ResultsCsv.create(csv)) {
      Thread t = new Thread(() -> {
        try {
          sweep.run(specs, results, (s, r) -> laterRunsDone.countDown());
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      t.start();
      assertTrue(laterRunsDone.await(30, java.util.concurrent.TimeUnit.SECONDS));
      assertEquals(1, Files.readAllLines(csv).size(), "later runs wait for the first one");
      List<Report.Run> done = sweep.flushFinished();
      assertEquals(specs.size() - 1, done.size());
      assertEquals(1 + 3 * (specs.size() - 1), Files.readAllLines(csv).size());
      release.countDown();
      t.join(30_000);
    }
    assertEquals(1 + 3 * specs.size(), Files.readAllLines(csv).size(), "no run is written twice");
  }

  private List<String> sweepLines(List<RunSpec> specs, String name, int threads) throws Exception {
    Path csv = dir.resolve(name);
    try (ResultsCsv results = ResultsCsv.create(csv)) {
      new Sweep(ReportAndResultsTest::rounds, threads).run(specs, results, (s, r) -> {});
    }
    return Files.readAllLines(csv);
  }

  @Test
  void aFailingRunFailsTheSweepNamingItAndKeepsFinishedRuns() throws Exception {
    List<RunSpec> specs = SweepGrid.expand(List.of("distributed"), List.of(1.0), 1e-5, List.of(0.0), 1, true);
    Path csv = dir.resolve("results.csv");
    try (ResultsCsv results = ResultsCsv.create(csv)) {
      Sweep.SweepException e = assertThrows(Sweep.SweepException.class, () -> new Sweep(spec -> {
        if (spec.kind() == RunKind.CENTRALIZED) {
          throw new IllegalStateException("out of data");
        }
        return rounds(spec);
      }, 1).run(specs, results, (s, r) -> {}));
      assertTrue(e.getMessage().contains("run centralized failed: out of data"), e.getMessage());
    }
    List<String> lines = Files.readAllLines(csv);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("local-only,")), "runs finished before the failure are kept");
    assertFalse(lines.stream().anyMatch(l -> l.startsWith("centralized,")));
  }

  @Test
  void roundRecordsValidate() {
    RoundRecord.Quality q = new RoundRecord.Quality(0, 0, 0, 0, 0, Map.of());
    assertThrows(IllegalArgumentException.class, () -> new RoundRecord("r", 0, 0, q, new double[0], 1, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> new RoundRecord("r", 1, 0, q, new double[0], 1, 2, 0));
  }
}
