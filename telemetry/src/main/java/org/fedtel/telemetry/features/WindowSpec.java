package org.fedtel.telemetry.features;

/**
 * Sliding windows of {@code length} samples, a new window every {@code step} samples (per node).
 */
public record WindowSpec(int length, int step, FeatureMode mode) {
  /**
   * Largest window length and step, in samples: the bound a site's configuration already has. A model
   * file sets these, and {@link Windower} allocates buffers of {@code length} per node, so an
   * unbounded length would let a small file exhaust memory.
   */
  public static final int MAX_LENGTH = 100_000;
  /**
   * Largest number of values in one window ({@code length x metrics}): raw mode's feature count and,
   * in every mode, the size of {@link Windower}'s ring buffer per node.
   */
  public static final int MAX_VALUES = 50_000_000;

  public WindowSpec {
    if (length < 1 || length > MAX_LENGTH) {
      throw new IllegalArgumentException("window length must be in [1, " + MAX_LENGTH + "], was " + length);
    }
    if (step < 1 || step > MAX_LENGTH) {
      throw new IllegalArgumentException("window step must be in [1, " + MAX_LENGTH + "], was " + step);
    }
    if (mode == null) {
      throw new IllegalArgumentException("mode must not be null");
    }
  }

  /** Number of features for {@code metrics} metrics. */
  public int featureCount(int metrics) {
    long values = (long) length * metrics;
    if (values > MAX_VALUES) {
      throw new IllegalArgumentException("window of " + length + " samples x " + metrics + " metrics holds "
          + values + " values, more than " + MAX_VALUES);
    }
    return mode == FeatureMode.RAW ? (int) values : Statistics.NAMES.length * metrics;
  }
}
