package org.fedtel.simulations.generator;

/**
 * One injected anomaly: on {@code node} of a site, samples {@code startStep} (inclusive) to
 * {@code endStep} (exclusive) carry {@code type} at {@code intensity}.
 */
public record AnomalyEpisode(int node, int startStep, int endStep, AnomalyType type, double intensity) {
  public AnomalyEpisode {
    if (node < 0 || startStep < 0 || endStep <= startStep) {
      throw new IllegalArgumentException("bad episode: node " + node + ", steps [" + startStep + ", " + endStep + ")");
    }
    if (type == null) {
      throw new IllegalArgumentException("type is required");
    }
    if (!(intensity > 0 && intensity <= 1)) {
      throw new IllegalArgumentException("intensity must be in (0, 1], was " + intensity);
    }
  }

  /** Number of labelled samples. */
  public int length() {
    return endStep - startStep;
  }
}
