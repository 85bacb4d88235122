package org.fedtel.telemetry.features;

/**
 * Sliding windows of {@code length} samples, a new window every {@code step} samples (per node).
 */
public record WindowSpec(int length, int step, FeatureMode mode) {
  public WindowSpec {
    if (length < 1) {
      throw new IllegalArgumentException("window length must be >= 1, was " + length);
    }
    if (step < 1) {
      throw new IllegalArgumentException("window step must be >= 1, was " + step);
    }
    if (mode == null) {
      throw new IllegalArgumentException("mode must not be null");
    }
  }

  /** Number of features for {@code metrics} metrics. */
  public int featureCount(int metrics) {
    long n = mode == FeatureMode.RAW ? (long) length * metrics : (long) Statistics.NAMES.length * metrics;
    if (n > 50_000_000) {
      throw new IllegalArgumentException("too many features: " + n);
    }
    return (int) n;
  }
}
