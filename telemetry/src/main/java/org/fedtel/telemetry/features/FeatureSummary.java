package org.fedtel.telemetry.features;

import java.util.Arrays;

/**
 * Per-feature count, sum, sum of squares, minimum and maximum: the sufficient statistics a scaler
 * needs. Sites compute one each; the federation adds them (with DP noise) and fits one
 * {@link Scaler} for everyone.
 */
public final class FeatureSummary {
  private long count;
  private final double[] sum;
  private final double[] sumOfSquares;
  private final double[] min;
  private final double[] max;

  public FeatureSummary(int features) {
    if (features < 1) {
      throw new IllegalArgumentException("features must be >= 1, was " + features);
    }
    sum = new double[features];
    sumOfSquares = new double[features];
    min = new double[features];
    max = new double[features];
    Arrays.fill(min, Double.POSITIVE_INFINITY);
    Arrays.fill(max, Double.NEGATIVE_INFINITY);
  }

  public void add(double[] x) {
    if (x.length != sum.length) {
      throw new IllegalArgumentException("expected " + sum.length + " features, got " + x.length);
    }
    for (int i = 0; i < x.length; i++) {
      double v = x[i];
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException("feature " + i + " is not finite: " + v);
      }
      sum[i] += v;
      sumOfSquares[i] += v * v;
      if (v < min[i]) {
        min[i] = v;
      }
      if (v > max[i]) {
        max[i] = v;
      }
    }
    count++;
  }

  /** Adds another site's summary into this one. */
  public void merge(FeatureSummary other) {
    if (other.sum.length != sum.length) {
      throw new IllegalArgumentException("feature counts differ: " + sum.length + " vs " + other.sum.length);
    }
    count += other.count;
    for (int i = 0; i < sum.length; i++) {
      sum[i] += other.sum[i];
      sumOfSquares[i] += other.sumOfSquares[i];
      min[i] = Math.min(min[i], other.min[i]);
      max[i] = Math.max(max[i], other.max[i]);
    }
  }

  public long count() {
    return count;
  }

  public double[] sum() {
    return sum.clone();
  }

  public double[] sumOfSquares() {
    return sumOfSquares.clone();
  }

  public double[] min() {
    return min.clone();
  }

  public double[] max() {
    return max.clone();
  }

  /** The scaler these statistics define. */
  public Scaler scaler(Scaler.Kind kind) {
    if (count == 0) {
      throw new IllegalStateException("no data added");
    }
    return kind == Scaler.Kind.STANDARD ? Scaler.standardFromMoments(count, sum, sumOfSquares) : Scaler.minMax(min, max);
  }
}
