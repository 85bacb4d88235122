package org.fedtel.privacy.testing;

/**
 * Histogram-based estimate of δ for a claimed ε, in the style of Google's DP stochastic tester
 * (after Gilbert &amp; McMillan, "Property Testing for Differential Privacy", 2018): sample the
 * mechanism on neighbouring inputs, bucket the outputs, and estimate
 * δ̂ = max over both directions of Σ_b max(0, P̂(M(D) ∈ b) − e^ε P̂(M(D') ∈ b)).
 */
public final class DpTester {
  private DpTester() {}

  /** δ̂ over {@code bins} equal buckets on [lo, hi) plus one overflow bucket each side. */
  public static double deltaHat(double[] a, double[] b, double epsilon, double lo, double hi, int bins) {
    double[] ha = histogram(a, lo, hi, bins);
    double[] hb = histogram(b, lo, hi, bins);
    return Math.max(oneWay(ha, hb, epsilon), oneWay(hb, ha, epsilon));
  }

  private static double oneWay(double[] p, double[] q, double epsilon) {
    double e = Math.exp(epsilon);
    double d = 0;
    for (int i = 0; i < p.length; i++) {
      d += Math.max(0, p[i] - e * q[i]);
    }
    return d;
  }

  private static double[] histogram(double[] xs, double lo, double hi, int bins) {
    double[] h = new double[bins + 2];
    double w = (hi - lo) / bins;
    for (double x : xs) {
      int i;
      if (x < lo) {
        i = 0;
      } else if (x >= hi) {
        i = bins + 1;
      } else {
        i = 1 + Math.min(bins - 1, (int) ((x - lo) / w));
      }
      h[i]++;
    }
    for (int i = 0; i < h.length; i++) {
      h[i] /= xs.length;
    }
    return h;
  }
}
