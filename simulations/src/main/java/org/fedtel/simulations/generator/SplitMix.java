package org.fedtel.simulations.generator;

/**
 * SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014),
 * written out here rather than taken from {@link java.util.SplittableRandom} so that the stream, the
 * Gaussian method and the derivation of child streams are fixed by this file and not by the JDK
 * version: the same seed must give byte-identical data on every JDK.
 */
final class SplitMix {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private long state;

  SplitMix(long seed) {
    this.state = mix(seed);
  }

  /** An independent stream for {@code key}; does not advance this stream. */
  SplitMix fork(long key) {
    return new SplitMix(mix(state ^ mix(key + GOLDEN)));
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  long nextLong() {
    state += GOLDEN;
    return mix(state);
  }

  /** Uniform in [0, 1). */
  double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in [0, bound). */
  int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be > 0, was " + bound);
    }
    return (int) ((nextDouble()) * bound);
  }

  double uniform(double lo, double hi) {
    return lo + (hi - lo) * nextDouble();
  }

  /** Log-uniform in [lo, hi]. */
  double logUniform(double lo, double hi) {
    return lo * Math.exp(Math.log(hi / lo) * nextDouble());
  }

  // Ziggurat tables (Marsaglia and Tsang, "The Ziggurat Method for Generating Random Variables",
  // J. Stat. Softw. 2000), 128 layers, in Doornik's formulation (ZIGNOR, 2005) whose rectangle test
  // uses one uniform and one layer index from a single 64-bit draw. Built with StrictMath, so the
  // tables, and hence the variates, are the same on every JVM.
  private static final int LAYERS = 128;
  private static final double R = 3.442619855899;
  private static final double V = 9.91256303526217e-3;
  private static final double[] X = new double[LAYERS + 1];
  private static final double[] RATIO = new double[LAYERS];

  static {
    double f = StrictMath.exp(-0.5 * R * R);
    X[0] = V / f;
    X[1] = R;
    X[LAYERS] = 0;
    for (int i = 2; i < LAYERS; i++) {
      X[i] = StrictMath.sqrt(-2 * StrictMath.log(V / X[i - 1] + f));
      f = StrictMath.exp(-0.5 * X[i] * X[i]);
    }
    for (int i = 0; i < LAYERS; i++) {
      RATIO[i] = X[i + 1] / X[i];
    }
  }

  /** Standard normal by the ziggurat method; the slow paths (about 1.5 % of draws) use StrictMath. */
  double nextGaussian() {
    while (true) {
      long bits = nextLong();
      int i = (int) (bits & (LAYERS - 1));
      double u = 2 * ((bits >>> 11) * 0x1.0p-53) - 1;
      if (Math.abs(u) < RATIO[i]) {
        return u * X[i];
      }
      if (i == 0) {
        double x;
        double y;
        do {
          x = StrictMath.log(1 - nextDouble()) / R;
          y = StrictMath.log(1 - nextDouble());
        } while (-2 * y < x * x);
        return u < 0 ? x - R : R - x;
      }
      double x = u * X[i];
      double f0 = StrictMath.exp(-0.5 * (X[i] * X[i] - x * x));
      double f1 = StrictMath.exp(-0.5 * (X[i + 1] * X[i + 1] - x * x));
      if (f1 + nextDouble() * (f0 - f1) < 1.0) {
        return x;
      }
    }
  }

  /** Exponential with the given mean. */
  double exponential(double mean) {
    return -mean * StrictMath.log(1 - nextDouble());
  }

  /** Poisson by inversion for small means, normal approximation above 30. */
  int poisson(double mean) {
    if (mean <= 0) {
      return 0;
    }
    if (mean > 30) {
      return (int) Math.max(0, Math.round(mean + Math.sqrt(mean) * nextGaussian()));
    }
    double l = StrictMath.exp(-mean);
    int k = 0;
    double p = nextDouble();
    while (p > l) {
      k++;
      p *= nextDouble();
    }
    return k;
  }

  /**
   * log of a Gamma(shape, 1) variate: Marsaglia and Tsang (ACM TOMS 2000), with the boost
   * Gamma(a) = Gamma(a + 1) * U^(1/a) for a < 1 kept in log space so that tiny shapes do not underflow.
   */
  double logGamma(double shape) {
    if (shape < 1) {
      return logGamma(shape + 1) + StrictMath.log(1 - nextDouble()) / shape;
    }
    double d = shape - 1.0 / 3;
    double c = 1 / StrictMath.sqrt(9 * d);
    while (true) {
      double x = nextGaussian();
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = nextDouble();
      if (StrictMath.log(u) < 0.5 * x * x + d - d * v + d * StrictMath.log(v)) {
        return StrictMath.log(d * v);
      }
    }
  }

  /** A draw from a symmetric Dirichlet with concentration {@code alpha} over {@code k} categories. */
  double[] dirichlet(double alpha, int k) {
    double[] logs = new double[k];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < k; i++) {
      logs[i] = logGamma(alpha);
      max = Math.max(max, logs[i]);
    }
    double sum = 0;
    double[] p = new double[k];
    for (int i = 0; i < k; i++) {
      p[i] = StrictMath.exp(logs[i] - max);
      sum += p[i];
    }
    for (int i = 0; i < k; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** An index drawn with the given probabilities (which sum to 1). */
  int choose(double[] p) {
    double u = nextDouble();
    double acc = 0;
    for (int i = 0; i < p.length; i++) {
      acc += p[i];
      if (u < acc) {
        return i;
      }
    }
    return p.length - 1;
  }
}
