package org.fedtel.privacy.training;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.fedtel.privacy.noise.DiscreteGaussian;

/**
 * The distributed discrete Gaussian mechanism (Kairouz, Liu &amp; Steinke, "The Distributed Discrete
 * Gaussian Mechanism for Federated Learning with Secure Aggregation", ICML 2021, Algorithm 1/2):
 * each site clips its update to L2 ≤ c, applies a public randomized Hadamard rotation, scales by
 * 1/γ, rounds randomly to integers conditioned on the L2 norm staying ≤ Δ₂ (their Thm 2 bound with
 * β = e^(−1/2)), adds discrete Gaussian noise N_ℤ(0, σ²/n_min) and reduces modulo 2^bits. The
 * modular sum of any n ≥ n_min sites then carries noise of variance ≥ σ² (σ = z·c/γ), and is
 * (ε²/2)-zCDP with ε from their Thm 1 evaluated at n_min sites. The scale is chosen so that the
 * aggregate's coordinates stay within ±2^(bits−1) with k = 4 standard deviations of headroom.
 */
public final class DistributedDp {
  private static final double BETA = Math.exp(-0.5);
  private static final double K_STDDEVS = 4;

  private final int dimension;
  private final int padded;
  private final int bits;
  private final double clipNorm;
  private final double scale;
  private final double sensitivity;
  private final double siteVariance;
  private final int minSurvivors;
  private final double epsilonConcentrated;
  private final byte[] signs;

  private DistributedDp(int sites, int minSurvivors, int dimension, double clipNorm, double noiseMultiplier,
      int bits, long rotationSeed) {
    this.dimension = dimension;
    this.padded = Hadamard.paddedLength(dimension);
    this.bits = bits;
    this.clipNorm = clipNorm;
    this.minSurvivors = minSurvivors;
    double bound = Math.scalb(1.0, bits - 1) / K_STDDEVS;
    double budget = bound * bound - sites / 4.0;
    double perUnit = (double) sites * sites * clipNorm * clipNorm / padded
        + noiseMultiplier * noiseMultiplier * clipNorm * clipNorm * sites / minSurvivors;
    if (!(budget > 0)) {
      throw new IllegalArgumentException(bits + " bits cannot hold the rounding noise of " + sites + " sites");
    }
    this.scale = Math.sqrt(budget / perUnit);
    double c = clipNorm * scale;
    double det = c + Math.sqrt(padded);
    double prob = c * c + padded / 4.0 + Math.sqrt(2 * Math.log(1 / BETA)) * (c + Math.sqrt(padded) / 2);
    this.sensitivity = Math.min(det, Math.sqrt(prob));
    double sigma = noiseMultiplier * c;
    this.siteVariance = sigma * sigma / minSurvivors;
    if (siteVariance < 1) {
      throw new IllegalArgumentException("per-site noise variance " + siteVariance
          + " < 1 in the integer domain: use more bits or fewer sites");
    }
    double tau = 0;
    for (int k = 1; k < minSurvivors; k++) {
      tau += Math.exp(-2 * Math.PI * Math.PI * siteVariance * k / (k + 1.0));
    }
    tau *= 10;
    double nSigma2 = minSurvivors * siteVariance;
    this.epsilonConcentrated = Math.min(
        Math.sqrt(sensitivity * sensitivity / nSigma2 + 2 * tau * padded),
        sensitivity / Math.sqrt(nSigma2) + tau * Math.sqrt(padded));
    this.signs = new byte[padded];
    SplittableRandom r = new SplittableRandom(rotationSeed);
    for (int i = 0; i < padded; i++) {
      signs[i] = (byte) (r.nextBoolean() ? 1 : -1);
    }
  }

  /**
   * Parameters for one round.
   *
   * @param sites sites sampled this round (bounds the aggregate's range)
   * @param minSurvivors the fewest sites whose inputs can be unmasked (accounting uses this)
   * @param noiseMultiplier z: the aggregate of n_min sites carries noise std ≥ z·c
   * @param bits modulus 2^bits of the secure-aggregation ring, 2..64
   * @param rotationSeed public seed of the shared random rotation (same at every site and the server)
   */
  public static DistributedDp configure(int sites, int minSurvivors, int dimension, double clipNorm,
      double noiseMultiplier, int bits, long rotationSeed) {
    if (minSurvivors < 1 || sites < minSurvivors) {
      throw new IllegalArgumentException("need 1 <= minSurvivors <= sites, got " + minSurvivors + " and " + sites);
    }
    if (dimension < 1 || dimension > (1 << 30)) {
      throw new IllegalArgumentException("dimension must be in [1, 2^30], got " + dimension);
    }
    if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
      throw new IllegalArgumentException("clip norm must be finite and > 0, got " + clipNorm);
    }
    if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
      throw new IllegalArgumentException("noise multiplier must be finite and > 0, got " + noiseMultiplier);
    }
    if (bits < 2 || bits > 64) {
      throw new IllegalArgumentException("bits must be in [2, 64], got " + bits);
    }
    return new DistributedDp(sites, minSurvivors, dimension, clipNorm, noiseMultiplier, bits, rotationSeed);
  }

  /** Length of the encoded vector (the dimension padded to a power of two). */
  public int encodedLength() {
    return padded;
  }

  public int bits() {
    return bits;
  }

  /** 1/γ: integer units per unit of the (rotated) update. */
  public double scale() {
    return scale;
  }

  /** Δ₂ in the integer domain after conditional rounding. */
  public double sensitivity() {
    return sensitivity;
  }

  /** Variance of each site's discrete Gaussian share, in the integer domain. */
  public double siteNoiseVariance() {
    return siteVariance;
  }

  /** ρ of one round at n_min survivors (zCDP): ε²/2 with ε from Kairouz et al. Thm 1. */
  public double rho() {
    return epsilonConcentrated * epsilonConcentrated / 2;
  }

  /**
   * The multiplier of a Gaussian mechanism with the same ρ (1/ε of Thm 1): what the RDP accountant
   * composes for a distributed round (sampling rate 1, this, 1 step): no amplification by the
   * coordinator's sampling of sites is claimed, so the zCDP accounting is exact.
   */
  public double effectiveNoiseMultiplier() {
    return 1 / epsilonConcentrated;
  }

  /** Standard deviation of the aggregate's noise in update units at n_min survivors. */
  public double aggregateNoiseStddev() {
    return Math.sqrt(minSurvivors * siteVariance) / scale;
  }

  /**
   * Site side: clip (a copy of) {@code update} to c, rotate, scale, round conditionally, add this
   * site's discrete Gaussian share and reduce modulo 2^bits into {@code out} (length
   * {@link #encodedLength()}), ready for masking.
   */
  public void encode(double[] update, RandomGenerator random, long[] out) {
    if (update.length != dimension) {
      throw new IllegalArgumentException("update has " + update.length + " elements, expected " + dimension);
    }
    if (out.length != padded) {
      throw new IllegalArgumentException("output has " + out.length + " elements, expected " + padded);
    }
    double[] x = java.util.Arrays.copyOf(update, padded);
    UpdateClipping.clipInPlace(x, clipNorm);
    Hadamard.forward(x, signs);
    for (int i = 0; i < padded; i++) {
      x[i] *= scale;
    }
    double bound2 = sensitivity * sensitivity;
    for (int attempt = 0; ; attempt++) {
      double norm2 = 0;
      for (int i = 0; i < padded; i++) {
        double f = Math.floor(x[i]);
        long v = (long) f + (random.nextDouble() < x[i] - f ? 1 : 0);
        out[i] = v;
        norm2 += (double) v * v;
      }
      if (norm2 <= bound2) {
        break;
      }
      if (attempt > 10_000) {
        throw new IllegalStateException("conditional rounding did not succeed (probability of failure per try <= e^-1/2)");
      }
    }
    BigDecimal v = new BigDecimal(siteVariance, new MathContext(17, java.math.RoundingMode.CEILING)); // never less noise
    BigInteger[] frac = toFraction(v);
    new DiscreteGaussian(random, frac[0], frac[1]).addTo(out);
    long mask = bits == 64 ? -1L : (1L << bits) - 1;
    for (int i = 0; i < padded; i++) {
      out[i] &= mask;
    }
  }

  /**
   * Server side: from the modular sum of the survivors' encodings, the noisy sum of their clipped
   * updates (length {@code dimension}).
   */
  public void decodeSum(long[] modularSum, double[] out) {
    if (modularSum.length != padded) {
      throw new IllegalArgumentException("sum has " + modularSum.length + " elements, expected " + padded);
    }
    if (out.length != dimension) {
      throw new IllegalArgumentException("output has " + out.length + " elements, expected " + dimension);
    }
    double[] x = new double[padded];
    for (int i = 0; i < padded; i++) {
      long v = modularSum[i];
      if (bits < 64) {
        v &= (1L << bits) - 1;
        if (v >= 1L << (bits - 1)) {
          v -= 1L << bits; // centred representative in [−2^(bits−1), 2^(bits−1))
        }
      }
      x[i] = v / scale;
    }
    Hadamard.inverse(x, signs);
    System.arraycopy(x, 0, out, 0, dimension);
  }

  private static BigInteger[] toFraction(BigDecimal v) {
    if (v.scale() <= 0) {
      return new BigInteger[] {v.toBigIntegerExact(), BigInteger.ONE};
    }
    return new BigInteger[] {v.unscaledValue(), BigInteger.TEN.pow(v.scale())};
  }
}
