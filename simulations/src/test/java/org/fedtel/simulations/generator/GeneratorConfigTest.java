package org.fedtel.simulations.generator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class GeneratorConfigTest {
  static void rejected(String fragment, UnaryOperator<GeneratorConfig.Builder> change) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> change.apply(GeneratorConfig.builder()).build());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void badValuesAreRejectedWithTheirName() {
    rejected("sites", b -> b.sites(0));
    rejected("nodes per site", b -> b.nodesPerSite(0));
    rejected("nodes per site", b -> b.nodesPerSite(GeneratorConfig.MAX_NODES_PER_SITE + 1));
    rejected("interval", b -> b.intervalSeconds(0));
    rejected("duration", b -> b.durationSeconds(5).intervalSeconds(10));
    rejected("anomaly rate", b -> b.anomalyRate(-0.1));
    rejected("anomaly rate", b -> b.anomalyRate(0.6));
    rejected("anomaly rate", b -> b.anomalyRate(Double.NaN));
    rejected("alpha", b -> b.nonIidAlpha(0));
    rejected("alpha", b -> b.nonIidAlpha(Double.POSITIVE_INFINITY));
    rejected("alpha", b -> b.nonIidAlpha(Double.NaN));
    rejected("size spread", b -> b.sizeSpread(-1));
    rejected("intensity", b -> b.intensity(0, 1));
    rejected("intensity", b -> b.intensity(0.8, 0.5));
    rejected("intensity", b -> b.intensity(0.5, 1.5));
    rejected("repeat", b -> b.anomalyTypes(List.of(AnomalyType.MEMBW, AnomalyType.MEMBW)));
    rejected("at least one anomaly type", b -> b.anomalyTypes(List.of()).anomalyRate(0.1));
  }

  @Test
  void typesAreKeptInDeclarationOrder() {
    GeneratorConfig c = GeneratorConfig.builder()
        .anomalyTypes(List.of(AnomalyType.NETOCCUPY, AnomalyType.CPUOCCUPY)).build();
    assertEquals(List.of(AnomalyType.CPUOCCUPY, AnomalyType.NETOCCUPY), c.anomalyTypes());
    assertEquals(8640, GeneratorConfig.builder().build().steps());
  }

  @Test
  void labelsRoundTrip() {
    for (AnomalyType t : AnomalyType.values()) {
      assertEquals(t, AnomalyType.ofLabel(t.label()));
    }
    assertThrows(IllegalArgumentException.class, () -> AnomalyType.ofLabel("cpu"));
    assertTrue(Metric.COUNT >= 40, "at least 40 metrics per sample");
    assertEquals(Metric.MEM_FREE_KB, Metric.ofColumn("mem_free_kb"));
  }
}
