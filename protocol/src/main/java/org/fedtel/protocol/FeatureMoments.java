package org.fedtel.protocol;

/**
 * The two feature rounds of the federated scaling (docs/FEDERATION.md, "Federated scaling and
 * threshold"): each site sums bounded per-feature values over its training windows, plus its window
 * count; the coordinator learns only the noisy sum over the survivors. Both ends agree on the layouts
 * and the decoding through this class; the noise is each site's own (record-level Gaussian).
 *
 * <p>Telemetry spans orders of magnitude (bytes per second next to utilisation fractions), so the
 * scaling standardizes t = sign(x)·log1p(|x|), in which a public bound covers any realistic value.
 *
 * <ol>
 *   <li>FEATURE_MEANS: per feature w = clamp(t / B, −1, 1), and 1 for the count. Layout
 *       {@code [Σw_0 … Σw_{F-1}, count]}; one window moves each of the F + 1 sums by at most 1, so the
 *       L2 sensitivity is √(F + 1). Mean μ = B·Σw / count.
 *   <li>FEATURE_DEVIATIONS, given the means μ: per feature v = (clamp(t − μ, −D, D) / D)², and the
 *       count. Same layout and sensitivity; variance = D²·Σv / count.
 * </ol>
 *
 * <p>Why two rounds rather than one round of first and second moments: the noise on a second moment
 * Σt² is amplified by B² (400 for B = 20), which swamps the variance of any feature that varies by
 * less than a few units in log space; around a known centre the bound is D (default 4, a factor
 * e^4 ≈ 55 either side of the mean) and the amplification D² is 25 times smaller.
 */
public final class FeatureMoments {
  /** Default bound B of the signed-log values: e^20 ≈ 4.9·10^8. */
  public static final double DEFAULT_BOUND = 20;
  /** Default bound D of a signed-log value's distance from its mean. */
  public static final double DEFAULT_DEVIATION_BOUND = 4;
  /**
   * Smallest standard deviation (in signed-log units) the fit gives a feature: a constant feature, or
   * one whose noisy variance comes out near zero, is divided by this instead of by ~0.
   */
  public static final double MIN_SCALE = 0.1;

  private FeatureMoments() {}

  /** sign(x)·log1p(|x|): the monotone, odd transform the scaling standardizes. */
  public static double signedLog(double x) {
    return Math.copySign(Math.log1p(Math.abs(x)), x);
  }

  /** Length of either round's sums for {@code features} features: F + 1. */
  public static int length(int features) {
    if (features < 1) {
      throw new IllegalArgumentException("features must be >= 1, got " + features);
    }
    return features + 1;
  }

  /** L2 sensitivity of either round's sums to adding or removing one window: √(F + 1). */
  public static double sensitivity(int features) {
    return Math.sqrt(length(features));
  }

  /**
   * This site's FEATURE_MEANS sums over {@code windows} (raw, unscaled feature vectors of length F).
   * A NaN value counts as 0 and an infinite one as the bound with its sign, never as a wild value.
   */
  public static double[] meanContribution(double[][] windows, int features, double bound) {
    checkBound(bound);
    double[] out = new double[length(features)];
    for (double[] row : windows) {
      check(row, features);
      for (int f = 0; f < features; f++) {
        out[f] += clamp(signedLogOrZero(row[f]) / bound, 1);
      }
      out[features] += 1;
    }
    return out;
  }

  /** This site's FEATURE_DEVIATIONS sums over {@code windows} around the federation's {@code means}. */
  public static double[] deviationContribution(double[][] windows, double[] means, double bound) {
    checkBound(bound);
    int features = means.length;
    double[] out = new double[length(features)];
    for (double[] row : windows) {
      check(row, features);
      for (int f = 0; f < features; f++) {
        double d = clamp((signedLogOrZero(row[f]) - means[f]) / bound, 1);
        out[f] += d * d;
      }
      out[features] += 1;
    }
    return out;
  }

  /**
   * The per-feature means (signed-log space) from the noisy sum of FEATURE_MEANS contributions.
   *
   * @throws IllegalArgumentException if the sum is malformed or its count is below 1 (the noise is
   *     larger than the data: nothing can be fitted)
   */
  public static double[] means(double[] sum, int features, double bound) {
    double count = count(sum, features, bound);
    double[] means = new double[features];
    for (int f = 0; f < features; f++) {
      // Noise can push a mean outside what bounded values allow; clamp to the possible range.
      means[f] = bound * clamp(sum[f] / count, 1);
    }
    return means;
  }

  /**
   * The scaling from the means and the noisy sum of FEATURE_DEVIATIONS contributions: per feature the
   * standard deviation D·√(Σv / count), floored at {@link #MIN_SCALE}.
   */
  public static Fit fit(double[] means, double[] sum, double bound) {
    int features = means.length;
    double count = count(sum, features, bound);
    double[] scale = new double[features];
    for (int f = 0; f < features; f++) {
      double var = Math.max(0, Math.min(1, sum[f] / count));
      scale[f] = Math.max(MIN_SCALE, bound * Math.sqrt(var));
    }
    return new Fit(means, scale, count);
  }

  private static double count(double[] sum, int features, double bound) {
    checkBound(bound);
    if (sum.length != length(features)) {
      throw new IllegalArgumentException("sum has " + sum.length + " values, expected " + length(features));
    }
    for (int i = 0; i < sum.length; i++) {
      if (!Double.isFinite(sum[i])) {
        throw new IllegalArgumentException("sum[" + i + "] is not finite: " + sum[i]);
      }
    }
    double count = sum[features];
    if (!(count >= 1)) {
      throw new IllegalArgumentException("the noisy window count is " + count + ": too few windows for the noise");
    }
    return count;
  }

  private static double signedLogOrZero(double x) {
    return Double.isNaN(x) ? 0 : signedLog(x);
  }

  private static double clamp(double x, double limit) {
    return Math.max(-limit, Math.min(limit, x));
  }

  private static void check(double[] row, int features) {
    if (row.length != features) {
      throw new IllegalArgumentException("a window has " + row.length + " features, expected " + features);
    }
  }

  /**
   * A fitted standardization in signed-log space: x ↦ (signedLog(x) − offset) / scale.
   *
   * @param windows the noisy number of windows it was fitted on (NaN when received)
   */
  public record Fit(double[] offset, double[] scale, double windows) {
    public Fit {
      if (offset.length != scale.length || offset.length == 0) {
        throw new IllegalArgumentException("offset and scale must have the same non-zero length, got " + offset.length
            + " and " + scale.length);
      }
      for (int i = 0; i < scale.length; i++) {
        if (!Double.isFinite(offset[i]) || !(scale[i] > 0) || !Double.isFinite(scale[i])) {
          throw new IllegalArgumentException("feature " + i + ": offset " + offset[i] + ", scale " + scale[i]);
        }
      }
      offset = offset.clone();
      scale = scale.clone();
    }

    @Override public double[] offset() {
      return offset.clone();
    }

    @Override public double[] scale() {
      return scale.clone();
    }

    /** As sent in RoundStart and RoundResult, and persisted. */
    public org.fedtel.protocol.v1.FeatureScaling toProto() {
      org.fedtel.protocol.v1.FeatureScaling.Builder b = org.fedtel.protocol.v1.FeatureScaling.newBuilder();
      for (int i = 0; i < offset.length; i++) {
        b.addOffset(offset[i]).addScale(scale[i]);
      }
      return b.build();
    }

    /**
     * Reads a received scaling.
     *
     * @throws IllegalArgumentException if it is empty, its lengths differ, or a value is not usable
     */
    public static Fit fromProto(org.fedtel.protocol.v1.FeatureScaling s) {
      double[] off = new double[s.getOffsetCount()];
      double[] sc = new double[s.getScaleCount()];
      for (int i = 0; i < off.length; i++) {
        off[i] = s.getOffset(i);
      }
      for (int i = 0; i < sc.length; i++) {
        sc[i] = s.getScale(i);
      }
      return new Fit(off, sc, Double.NaN);
    }
  }

  private static void checkBound(double bound) {
    if (!(bound > 0) || Double.isInfinite(bound)) {
      throw new IllegalArgumentException("bound must be positive and finite, got " + bound);
    }
  }
}
