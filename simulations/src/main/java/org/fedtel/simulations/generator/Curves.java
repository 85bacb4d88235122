package org.fedtel.simulations.generator;

/**
 * Smooth curves of the node model as tables with linear interpolation: a table built once with
 * StrictMath is as deterministic as StrictMath and several times faster in the per-sample loop.
 */
final class Curves {
  private static final int N = 1024;
  private static final double[] POW08 = new double[N + 1];
  private static final double[] SINE = new double[N + 1];

  static {
    for (int i = 0; i <= N; i++) {
      POW08[i] = StrictMath.pow((double) i / N, 0.8);
      SINE[i] = StrictMath.sin(2 * Math.PI * i / N);
    }
  }

  private Curves() {}

  /** x^0.8 for x in [0, 1] (clamped). */
  static double pow08(double x) {
    return lookup(POW08, Math.max(0, Math.min(1, x)));
  }

  /** sin(2 pi x) for x in [0, 1). */
  static double dailySine(double x) {
    return lookup(SINE, Math.max(0, Math.min(1, x)));
  }

  private static double lookup(double[] t, double x) {
    double pos = x * N;
    int i = Math.min(N - 1, (int) pos);
    double frac = pos - i;
    return t[i] + (t[i + 1] - t[i]) * frac;
  }
}
