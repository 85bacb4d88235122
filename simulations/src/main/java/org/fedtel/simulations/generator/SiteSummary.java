package org.fedtel.simulations.generator;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** What was generated for one site. */
public record SiteSummary(int site, String directory, int nodes, String hardware, long samples,
    Map<AnomalyType, Long> anomalousSamples, int episodes, int jobs) {
  public SiteSummary {
    anomalousSamples = Collections.unmodifiableMap(new EnumMap<>(anomalousSamples));
  }

  /** Samples of any anomaly type. */
  public long anomalous() {
    long n = 0;
    for (long c : anomalousSamples.values()) {
      n += c;
    }
    return n;
  }
}
