package org.fedtel.telemetry.features;

import java.util.Arrays;

/**
 * Window statistics defined exactly as numpy and scipy define them, so that published feature
 * recipes (e.g. Prodigy, Aksar et al., SC'23) reproduce:
 * <ul>
 *   <li>{@code std}: {@code numpy.std} (population, ddof = 0);</li>
 *   <li>{@code skew}, {@code kurtosis}: {@code scipy.stats.skew} / {@code kurtosis} with their
 *       defaults (biased moment estimators, kurtosis = Fisher excess, m4/m2^2 - 3);</li>
 *   <li>percentiles: {@code numpy.percentile} default ("linear": h = (n-1)p/100, interpolate
 *       between the order statistics around h);</li>
 *   <li>{@code slope}: least-squares slope against the sample index 0..n-1.</li>
 * </ul>
 * One deviation: where scipy returns NaN for skew and kurtosis of a constant window (its test is
 * m2 <= (1e-15 * mean)^2), we return 0, since a NaN feature cannot be scaled or learned from.
 */
public final class Statistics {
  /** Names of the per-metric statistics, in feature order. */
  public static final String[] NAMES = {
      "max", "min", "mean", "std", "skew", "kurtosis", "p5", "p25", "p50", "p75", "p95", "slope"};

  private Statistics() {}

  public static double mean(double[] x, int from, int n) {
    double s = 0;
    for (int i = from; i < from + n; i++) {
      s += x[i];
    }
    return s / n;
  }

  /** numpy.std (ddof = 0). */
  public static double std(double[] x) {
    return Math.sqrt(centralMoment(x, 0, x.length, mean(x, 0, x.length), 2));
  }

  /** scipy.stats.skew(x) (bias = True). */
  public static double skew(double[] x) {
    double mean = mean(x, 0, x.length);
    double m2 = centralMoment(x, 0, x.length, mean, 2);
    if (isConstant(m2, mean)) {
      return 0;
    }
    return centralMoment(x, 0, x.length, mean, 3) / Math.pow(m2, 1.5);
  }

  /** scipy.stats.kurtosis(x) (fisher = True, bias = True). */
  public static double kurtosis(double[] x) {
    double mean = mean(x, 0, x.length);
    double m2 = centralMoment(x, 0, x.length, mean, 2);
    if (isConstant(m2, mean)) {
      return 0;
    }
    return centralMoment(x, 0, x.length, mean, 4) / (m2 * m2) - 3.0;
  }

  /** numpy.percentile(x, p) with the default linear method; {@code sorted} ascending. */
  public static double percentileOfSorted(double[] sorted, int n, double p) {
    if (!(p >= 0 && p <= 100)) {
      throw new IllegalArgumentException("percentile must be in [0, 100], was " + p);
    }
    if (n < 1) {
      throw new IllegalArgumentException("no values");
    }
    double h = (n - 1) * (p / 100.0);
    int lo = (int) Math.floor(h);
    if (lo >= n - 1) {
      return sorted[n - 1];
    }
    double frac = h - lo;
    double a = sorted[lo];
    double b = sorted[lo + 1];
    // numpy's _lerp: a + (b - a) * t, switched to the b end for t >= 0.5 for monotonicity.
    double d = b - a;
    return frac >= 0.5 ? b - d * (1 - frac) : a + d * frac;
  }

  /** numpy.percentile(x, p) (linear). */
  public static double percentile(double[] x, double p) {
    double[] s = x.clone();
    Arrays.sort(s);
    return percentileOfSorted(s, s.length, p);
  }

  /** Least-squares slope of x against 0..n-1 (0 for a single value). */
  public static double slope(double[] x) {
    return slope(x, 0, x.length, 1);
  }

  static double slope(double[] x, int from, int n, int stride) {
    if (n < 2) {
      return 0;
    }
    double tMean = (n - 1) / 2.0;
    double xMean = 0;
    for (int i = 0; i < n; i++) {
      xMean += x[from + i * stride];
    }
    xMean /= n;
    double num = 0;
    double den = 0;
    for (int i = 0; i < n; i++) {
      double dt = i - tMean;
      num += dt * (x[from + i * stride] - xMean);
      den += dt * dt;
    }
    return num / den;
  }

  /**
   * All twelve statistics of {@code x[0..n)} into {@code out[at .. at+12)}, in {@link #NAMES} order.
   * {@code scratch} (length >= n) receives a sorted copy.
   */
  static void describe(double[] x, int n, double[] scratch, double[] out, int at) {
    System.arraycopy(x, 0, scratch, 0, n);
    Arrays.sort(scratch, 0, n);
    double mean = mean(x, 0, n);
    double m2 = centralMoment(x, 0, n, mean, 2);
    boolean constant = isConstant(m2, mean);
    out[at] = scratch[n - 1];
    out[at + 1] = scratch[0];
    out[at + 2] = mean;
    out[at + 3] = Math.sqrt(m2);
    out[at + 4] = constant ? 0 : centralMoment(x, 0, n, mean, 3) / Math.pow(m2, 1.5);
    out[at + 5] = constant ? 0 : centralMoment(x, 0, n, mean, 4) / (m2 * m2) - 3.0;
    out[at + 6] = percentileOfSorted(scratch, n, 5);
    out[at + 7] = percentileOfSorted(scratch, n, 25);
    out[at + 8] = percentileOfSorted(scratch, n, 50);
    out[at + 9] = percentileOfSorted(scratch, n, 75);
    out[at + 10] = percentileOfSorted(scratch, n, 95);
    out[at + 11] = slope(x, 0, n, 1);
  }

  private static boolean isConstant(double m2, double mean) {
    double tol = 1e-15 * mean; // numpy finfo(float64).resolution, as scipy uses it
    return m2 <= tol * tol;
  }

  private static double centralMoment(double[] x, int from, int n, double mean, int k) {
    double s = 0;
    for (int i = from; i < from + n; i++) {
      double d = x[i] - mean;
      double p = d * d;
      if (k == 3) {
        p *= d;
      } else if (k == 4) {
        p *= p;
      }
      s += p;
    }
    return s / n;
  }
}
