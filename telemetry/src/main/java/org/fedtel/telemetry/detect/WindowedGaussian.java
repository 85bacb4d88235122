package org.fedtel.telemetry.detect;

/**
 * The windowed Gaussian baseline of the NAB scoreboard: each value is scored against the mean and
 * (population) standard deviation of the up to {@code window} values before it; the score is the
 * absolute z-score |x - mean| / std (a standard deviation of 0 counts as 1e-6, as in NAB). The
 * first value scores 0. NAB turns z into a tail probability; any monotone transform leaves the
 * detections at a matched threshold unchanged, and z is easier to read.
 */
public final class WindowedGaussian {
  private final int window;

  /** NAB tuned {@code window} = 1000. */
  public WindowedGaussian(int window) {
    if (window < 2) {
      throw new IllegalArgumentException("window must be >= 2, was " + window);
    }
    this.window = window;
  }

  /** Scores a univariate series. */
  public double[] scores(double[] series) {
    double[] out = new double[series.length];
    for (int i = 1; i < series.length; i++) {
      int from = Math.max(0, i - window);
      int n = i - from;
      double mean = 0;
      for (int k = from; k < i; k++) {
        mean += series[k];
      }
      mean /= n;
      double var = 0;
      for (int k = from; k < i; k++) {
        double d = series[k] - mean;
        var += d * d;
      }
      double std = Math.sqrt(var / n);
      if (std == 0) {
        std = 1e-6;
      }
      out[i] = Math.abs(series[i] - mean) / std;
    }
    return out;
  }
}
