package org.fedtel.privacy.noise;

import java.util.random.RandomGenerator;
import org.fedtel.privacy.accounting.GaussianCalibration;

/**
 * The Gaussian mechanism, safe against floating-point attacks (Mironov, CCS 2012), as described in
 * Google's "Secure Noise Generation" (2020, §3): the value is rounded to a power-of-two grid of
 * granularity g = ⌈2σ/2^57⌉₂ and the noise is g times a centred symmetric binomial sample with
 * √n = 2σ/g trials (std σ/g), drawn by rejection from a two-sided geometric proposal using the
 * binomial-pmf approximation of that paper's Lemma 7 (an approximation whose error the paper
 * bounds; it is the one deviation from an exact distribution, see docs/PRIVACY.md). Rounding to the
 * grid can move neighbouring inputs up to g further apart, so {@link #addNoise(double, double, double,
 * double)} calibrates σ for sensitivity Δ + g.
 */
public final class GaussianNoise {
  private static final double BINOMIAL_BOUND = 0x1p57;
  private final RandomGenerator random;

  public GaussianNoise(RandomGenerator random) {
    this.random = java.util.Objects.requireNonNull(random, "random");
  }

  /** x + Gaussian noise calibrated by the analytic Gaussian mechanism for (ε, δ) at L2 sensitivity Δ. */
  public double addNoise(double x, double l2Sensitivity, double epsilon, double delta) {
    Grid.requireFinite("x", x);
    double sigma0 = GaussianCalibration.analyticSigma(epsilon, delta, l2Sensitivity);
    double g = granularity(sigma0);
    // σ scales linearly with sensitivity, so this is the analytic σ for Δ + g on the same grid.
    double sigma = sigma0 * (l2Sensitivity + g) / l2Sensitivity;
    return Grid.roundToMultiple(x, g) + symmetricBinomial(2 * sigma / g) * g;
  }

  /** x + noise of standard deviation σ on the grid of granularity {@link #granularity(double)}. */
  public double addNoise(double x, double sigma) {
    Grid.requireFinite("x", x);
    Grid.requirePositive("sigma", sigma);
    double g = granularity(sigma);
    return Grid.roundToMultiple(x, g) + symmetricBinomial(2 * sigma / g) * g;
  }

  /**
   * Adds independent noise of standard deviation σ to every element of {@code values}, in place
   * (no allocation: the DP-SGD hot path).
   */
  public void addNoiseInPlace(double[] values, double sigma) {
    Grid.requirePositive("sigma", sigma);
    double g = granularity(sigma);
    double sqrtN = 2 * sigma / g;
    for (int i = 0; i < values.length; i++) {
      double v = values[i];
      if (!Double.isFinite(v)) {
        throw new IllegalArgumentException("values[" + i + "] is not finite: " + v);
      }
      values[i] = Grid.roundToMultiple(v, g) + symmetricBinomial(sqrtN) * g;
    }
  }

  /** The grid for noise std σ: the smallest power of two ≥ 2σ/2^57. */
  public static double granularity(double sigma) {
    return Grid.ceilPowerOfTwo(2 * sigma / BINOMIAL_BOUND);
  }

  /**
   * A sample of B − n/2 with B ~ Binomial(n, 1/2), n = sqrtN², for sqrtN ∈ [2^56, 2^57]. Proposal:
   * blocks of width s = round(√2·sqrtN + 1) chosen by a two-sided geometric with P ∝ 2^−(g+1), then a
   * uniform offset, so q(m) = 2^−g/(4s); accept with p(m)/(16·q(m)) ≤ 1.
   */
  long symmetricBinomial(double sqrtN) {
    long step = Math.round(Math.sqrt(2) * sqrtN + 1);
    long maxBlocks = Long.MAX_VALUE / step - 1;
    while (true) {
      long geometric = 0;
      while (random.nextBoolean() && geometric < maxBlocks) {
        geometric++;
      }
      long block = random.nextBoolean() ? geometric : -geometric - 1;
      long m = step * block + random.nextLong(step);
      double p = approximateBinomialPmf(sqrtN, m);
      double u = random.nextDouble();
      if (p > 0 && u > 0 && u < p * step * Math.scalb(1.0, (int) Math.min(geometric, 1000)) / 4.0) {
        return m;
      }
    }
  }

  /** Lemma 7 of "Secure Noise Generation": P(B − n/2 = m), zero outside |m| ≤ √n·√(ln n)/2. */
  static double approximateBinomialPmf(double sqrtN, long m) {
    double n = sqrtN * sqrtN;
    double am = Math.abs((double) m);
    if (am > sqrtN * Math.sqrt(Math.log(n)) / 2) {
      return 0;
    }
    return Math.sqrt(2 / Math.PI) / sqrtN * Math.exp(-2.0 * am * am / n)
        * (1 - 0.4 * Math.pow(Math.log(n), 1.5) / sqrtN);
  }
}
