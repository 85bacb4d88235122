package org.fedtel.privacy.noise;

import java.util.random.RandomGenerator;

/**
 * The Laplace mechanism, safe against the floating-point attack of Mironov (CCS 2012): the value is
 * rounded to a power-of-two grid of granularity g ≈ b·2^-40 and noise is g times a two-sided
 * geometric sample with parameter g·ε/(Δ+g), following Google's "Secure Noise Generation" (2020).
 * The +g accounts for the rounding, which can move neighbouring inputs up to g further apart.
 */
public final class LaplaceNoise {
  private static final double GRANULARITY_PARAM = 0x1p40;
  private final RandomGenerator random;

  public LaplaceNoise(RandomGenerator random) {
    this.random = java.util.Objects.requireNonNull(random, "random");
  }

  /** x + Laplace noise for (ε, 0)-DP at L1 sensitivity Δ; the result is a multiple of the grid. */
  public double addNoise(double x, double l1Sensitivity, double epsilon) {
    Grid.requireFinite("x", x);
    Grid.requirePositive("l1Sensitivity", l1Sensitivity);
    Grid.requirePositive("epsilon", epsilon);
    double g = granularity(l1Sensitivity, epsilon);
    long k = Geometric.twoSided(random, g * epsilon / (l1Sensitivity + g));
    return Grid.roundToMultiple(x, g) + k * g;
  }

  /** x + discrete Laplace noise with parameter ε/Δ: (ε, 0)-DP for integer sensitivity Δ. */
  public long addNoise(long x, long l1Sensitivity, double epsilon) {
    if (l1Sensitivity <= 0) {
      throw new IllegalArgumentException("l1Sensitivity must be > 0, got " + l1Sensitivity);
    }
    Grid.requirePositive("epsilon", epsilon);
    return x + Geometric.twoSided(random, epsilon / l1Sensitivity);
  }

  /** The grid the double mechanism rounds to: the smallest power of two ≥ (Δ/ε)·2^-40. */
  public static double granularity(double l1Sensitivity, double epsilon) {
    return Grid.ceilPowerOfTwo(l1Sensitivity / epsilon / GRANULARITY_PARAM);
  }
}
