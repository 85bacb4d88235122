package org.fedtel.simulations.generator;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** What a run generated: every site's summary, in site order. */
public record GenerationSummary(List<SiteSummary> sites) {
  public GenerationSummary {
    sites = List.copyOf(sites);
  }

  public long samples() {
    long n = 0;
    for (SiteSummary s : sites) {
      n += s.samples();
    }
    return n;
  }

  public long anomalous() {
    long n = 0;
    for (SiteSummary s : sites) {
      n += s.anomalous();
    }
    return n;
  }

  /** Anomalous samples per type over all sites (every type present, in declaration order). */
  public Map<AnomalyType, Long> anomalousSamples() {
    Map<AnomalyType, Long> m = new EnumMap<>(AnomalyType.class);
    for (AnomalyType t : AnomalyType.values()) {
      m.put(t, 0L);
    }
    for (SiteSummary s : sites) {
      s.anomalousSamples().forEach((t, c) -> m.merge(t, c, Long::sum));
    }
    return m;
  }
}
