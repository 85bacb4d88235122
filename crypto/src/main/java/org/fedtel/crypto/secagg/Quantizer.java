package org.fedtel.crypto.secagg;

import java.security.SecureRandom;
import java.util.Objects;

/**
 * Maps real vectors to the ring Z_{2^k} for secure aggregation and the aggregate back: each
 * coordinate is clipped to [−c, c], scaled by s and rounded at random to a neighbouring integer
 * (up with probability equal to the fractional part, so rounding is unbiased), then reduced mod
 * 2^k in two's complement. The scale is the largest integer s with n·(c·s + 1) ≤ 2^(k−1) − 1 for
 * at most n = {@code maxSites} sites, so the integer sum never wraps and decodes exactly.
 *
 * <p>Error of a decoded sum over m ≤ n sites, per coordinate, for inputs inside [−c, c] (clipping
 * adds its own, input-dependent error): each site's rounding error lies in an interval of length
 * 1/s and has mean 0, so the error of the sum is always below m/s
 * ({@link #worstCaseSumError}) and, by Hoeffding's inequality, exceeds
 * √(m·ln(2/β)/2)/s with probability at most β ({@link #sumErrorBound}).
 */
public record Quantizer(int modulusBits, double clipBound, int maxSites) {
  public Quantizer {
    if (modulusBits < 2 || modulusBits > 64) {
      throw new IllegalArgumentException("modulusBits must be in [2, 64], got " + modulusBits);
    }
    if (!(clipBound > 0) || Double.isInfinite(clipBound)) {
      throw new IllegalArgumentException("clipBound must be finite and > 0, got " + clipBound);
    }
    if (maxSites < 1) {
      throw new IllegalArgumentException("maxSites must be >= 1, got " + maxSites);
    }
    double scale = scaleFor(modulusBits, clipBound, maxSites);
    if (scale < 1) {
      throw new IllegalArgumentException("2^" + modulusBits + " is too small for " + maxSites
          + " sites with clip bound " + clipBound + ": the scale would be below 1");
    }
    if (Double.isInfinite(scale)) {
      throw new IllegalArgumentException("clip bound " + clipBound + " is too small for 2^"
          + modulusBits + " and " + maxSites + " sites: the scale would overflow to infinity");
    }
  }

  private static double scaleFor(int bits, double clip, int sites) {
    double half = Math.scalb(1.0, bits - 1); // 2^(k-1), exact in a double
    // The factor 1 − 2^−40 absorbs floating-point rounding (a few ulps, 2^−52 each), so that
    // n·(c·s + 1) ≤ 2^(k−1) − 1 holds exactly, also for k near 64.
    return Math.floor((half / sites - 1) / clip * (1 - 0x1.0p-40));
  }

  /** The scale s: one unit of the ring is 1/s. */
  public double scale() {
    return scaleFor(modulusBits, clipBound, maxSites);
  }

  /** Clips, scales and randomly rounds {@code x} into ring elements in [0, 2^k). */
  public long[] encode(double[] x, SecureRandom random) {
    Objects.requireNonNull(x, "x");
    Objects.requireNonNull(random, "random");
    double s = scale();
    long mask = modulusBits == 64 ? -1L : (1L << modulusBits) - 1;
    long[] uniform = new long[x.length];
    byte[] key = new byte[MaskPrg.KEY_LENGTH];
    random.nextBytes(key);
    new MaskPrg().addTo(key, uniform, false);
    long[] out = new long[x.length];
    for (int i = 0; i < x.length; i++) {
      double v = x[i];
      if (Double.isNaN(v) || Double.isInfinite(v)) {
        throw new IllegalArgumentException("x[" + i + "] = " + v + " cannot be quantized");
      }
      v = Math.max(-clipBound, Math.min(clipBound, v)) * s;
      double floor = Math.floor(v);
      double u = (uniform[i] >>> 11) * 0x1.0p-53;
      long r = (long) floor + (u < v - floor ? 1 : 0);
      out[i] = r & mask;
    }
    return out;
  }

  /** Decodes a ring sum of at most {@code maxSites} encoded vectors. */
  public double[] decodeSum(long[] sum) {
    Objects.requireNonNull(sum, "sum");
    double s = scale();
    int shift = 64 - modulusBits;
    double[] out = new double[sum.length];
    for (int i = 0; i < sum.length; i++) {
      out[i] = ((sum[i] << shift) >> shift) / s;
    }
    return out;
  }

  /** Always-valid bound on the per-coordinate error of a decoded sum over {@code sites} sites. */
  public double worstCaseSumError(int sites) {
    requireSites(sites);
    return sites / scale();
  }

  /** Per-coordinate error bound of a decoded sum that holds with probability ≥ 1 − β. */
  public double sumErrorBound(int sites, double beta) {
    requireSites(sites);
    if (!(beta > 0 && beta < 1)) {
      throw new IllegalArgumentException("beta must be in (0, 1), got " + beta);
    }
    return Math.min(Math.sqrt(sites * Math.log(2 / beta) / 2), sites) / scale();
  }

  private void requireSites(int sites) {
    if (sites < 1 || sites > maxSites) {
      throw new IllegalArgumentException("sites must be in [1, " + maxSites + "], got " + sites);
    }
  }
}
