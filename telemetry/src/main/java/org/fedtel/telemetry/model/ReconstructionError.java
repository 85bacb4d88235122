package org.fedtel.telemetry.model;

/** How a window's reconstruction error becomes one anomaly score. */
public enum ReconstructionError {
  /** Mean squared error over the inputs (also the training loss). */
  MSE,
  /** Mean absolute error over the inputs. */
  MAE,
  /** Largest absolute error of any input: sensitive to one metric going wrong. */
  MAX_ABS;

  /** The error between {@code x} and its reconstruction {@code y} (same length). */
  public double of(double[] x, double[] y) {
    if (x.length != y.length) {
      throw new IllegalArgumentException("lengths differ: " + x.length + " vs " + y.length);
    }
    double acc = 0;
    for (int i = 0; i < x.length; i++) {
      double e = Math.abs(y[i] - x[i]);
      switch (this) {
        case MSE -> acc += e * e;
        case MAE -> acc += e;
        default -> acc = Math.max(acc, e);
      }
    }
    return this == MAX_ABS ? acc : acc / x.length;
  }
}
