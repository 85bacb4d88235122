package org.fedtel.crypto.secagg;

/**
 * Deterministic fixed point in the ring Z_{2^k}: {@code round(x * scale)} in two's complement within
 * k bits. The federation's encoding of updates without distributed DP (modes none and local), shared
 * by the site, which encodes, and the coordinator, which decodes the sum; unlike {@link Quantizer}
 * it neither clips nor rounds randomly, and a value that does not fit is an error, never a wrap.
 */
public final class FixedPoint {
  private FixedPoint() {}

  /**
   * Encodes {@code x[i] * scale}, rounded to the nearest integer, into {@code out[i]} modulo 2^bits.
   *
   * @throws IllegalArgumentException if a value is not finite or its magnitude reaches 2^(bits-1)
   */
  public static void encode(double[] x, double scale, int bits, long[] out) {
    checkBits(bits);
    if (!(scale > 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("scale " + scale + " must be positive and finite");
    }
    if (out.length != x.length) {
      throw new IllegalArgumentException(x.length + " values but an output of " + out.length);
    }
    long mask = bits == 64 ? -1L : (1L << bits) - 1;
    double limit = Math.scalb(1.0, bits - 1);
    for (int i = 0; i < x.length; i++) {
      double v = Math.rint(x[i] * scale);
      if (!(Math.abs(v) < limit)) {
        throw new IllegalArgumentException("value " + x[i] + " does not fit " + bits + "-bit fixed point at scale " + scale);
      }
      out[i] = ((long) v) & mask;
    }
  }

  /** Decodes ring elements (e.g. a sum, which must not have overflowed k bits) as signed values / scale. */
  public static void decode(long[] ring, double scale, int bits, double[] out) {
    checkBits(bits);
    if (out.length > ring.length) {
      throw new IllegalArgumentException("an output of " + out.length + " from " + ring.length + " ring elements");
    }
    for (int i = 0; i < out.length; i++) {
      // Two's complement within k bits: shift the sign bit up to bit 63 and back.
      long signed = bits == 64 ? ring[i] : (ring[i] << (64 - bits)) >> (64 - bits);
      out[i] = signed / scale;
    }
  }

  private static void checkBits(int bits) {
    if (bits < 2 || bits > 64) {
      throw new IllegalArgumentException("ring bits must be in [2, 64], got " + bits);
    }
  }
}
