package org.fedtel.simulations.generator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LabelCountTest {
  @ParameterizedTest
  @CsvSource({"0.0, 4, 10, 3600", "0.01, 8, 10, 86400", "0.05, 16, 10, 43200", "0.2, 3, 30, 86400",
      "0.5, 2, 60, 7200", "0.5, 5, 10, 600", "0.3, 1, 1, 300"})
  void anomalousSamplesAreExactlyTheRequestedShare(double rate, int nodes, int interval, long duration) {
    GeneratorConfig c = GeneratorConfig.builder().sites(2).nodesPerSite(nodes).intervalSeconds(interval)
        .durationSeconds(duration).anomalyRate(rate).seed(11).build();
    TelemetryGenerator g = new TelemetryGenerator(c);
    for (int site = 0; site < 2; site++) {
      List<AnomalyEpisode> eps = g.episodes(site);
      long labelled = 0;
      boolean[][] used = new boolean[nodes][c.steps()];
      for (AnomalyEpisode e : eps) {
        for (int s = e.startStep(); s < e.endStep(); s++) {
          assertTrue(!used[e.node()][s], "episodes overlap at node " + e.node() + " step " + s);
          used[e.node()][s] = true;
        }
        labelled += e.length();
      }
      assertEquals(Math.round(rate * nodes * (double) c.steps()), labelled, "site " + site);
    }
  }

  @Test
  void summaryAndManifestCountTheLabelsInTheFiles(@TempDir Path tmp) throws IOException {
    GeneratorConfig c = GeneratorConfig.builder().sites(2).nodesPerSite(4).durationSeconds(6 * 3600)
        .anomalyRate(0.15).seed(5).build();
    GenerationSummary summary = new TelemetryGenerator(c).writeTo(tmp, 2, n -> {});
    Map<String, Long> counted = new HashMap<>();
    long rows = 0;
    for (int site = 0; site < 2; site++) {
      for (int node = 0; node < 4; node++) {
        List<String> lines = Files.readAllLines(tmp.resolve(String.format("site-%03d/node-%04d.csv", site, node)));
        for (String line : lines.subList(1, lines.size())) {
          counted.merge(line.substring(line.lastIndexOf(',') + 1), 1L, Long::sum);
          rows++;
        }
      }
    }
    assertEquals(summary.samples(), rows);
    assertEquals(Math.round(0.15 * 8 * c.steps()), summary.anomalous());
    assertEquals(summary.samples() - summary.anomalous(), counted.get("normal"));
    summary.anomalousSamples().forEach((t, n) -> assertEquals(n, counted.getOrDefault(t.label(), 0L), t.label()));
    String manifest = Files.readString(tmp.resolve("manifest.json"));
    assertTrue(manifest.contains("\"anomalous_samples\": " + summary.anomalous()), manifest);
    assertTrue(manifest.contains("\"normal\": " + counted.get("normal")), manifest);
  }

  @Test
  void everyTypeAppearsInALongRun() {
    GeneratorConfig c = GeneratorConfig.builder().sites(1).nodesPerSite(16).anomalyRate(0.1).seed(3).build();
    List<AnomalyEpisode> eps = new TelemetryGenerator(c).episodes(0);
    for (AnomalyType t : AnomalyType.values()) {
      assertTrue(eps.stream().anyMatch(e -> e.type() == t), t + " never injected");
    }
    for (AnomalyEpisode e : eps) {
      assertTrue(e.intensity() >= 0.2 && e.intensity() <= 1.0, e.toString());
    }
  }

  @Test
  void onlyTheChosenTypesAreInjected() {
    GeneratorConfig c = GeneratorConfig.builder().sites(1).nodesPerSite(8).anomalyRate(0.1)
        .anomalyTypes(List.of(AnomalyType.MEMLEAK, AnomalyType.MEMBW)).intensity(0.5, 0.5).seed(3).build();
    for (AnomalyEpisode e : new TelemetryGenerator(c).episodes(0)) {
      assertTrue(e.type() == AnomalyType.MEMLEAK || e.type() == AnomalyType.MEMBW, e.toString());
      assertEquals(0.5, e.intensity());
    }
  }
}
