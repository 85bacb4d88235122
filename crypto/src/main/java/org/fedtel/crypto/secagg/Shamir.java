package org.fedtel.crypto.secagg;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Shamir t-of-n secret sharing (Shamir, CACM 1979) of 32-byte secrets over the prime field
 * GF(p), p = 2^256 + 297, the smallest prime above 2^256, so every 32-byte string is a field
 * element. Shares are 33-byte big-endian field elements at evaluation points 1..n (a site's
 * 1-based position in the round's participant list).
 */
final class Shamir {
  static final BigInteger P = BigInteger.ONE.shiftLeft(256).add(BigInteger.valueOf(297));
  static final int SECRET_LENGTH = 32;
  static final int SHARE_LENGTH = 33;

  private Shamir() {}

  /** Shares of {@code secret} at {@code points} (distinct, ≥ 1) for threshold {@code t}. */
  static byte[][] split(byte[] secret, int t, int[] points, SecureRandom random) {
    if (secret.length != SECRET_LENGTH) {
      throw new IllegalArgumentException("secret must be 32 bytes");
    }
    if (t < 1 || t > points.length) {
      throw new IllegalArgumentException("threshold " + t + " for " + points.length + " shares");
    }
    BigInteger[] coeff = new BigInteger[t];
    coeff[0] = new BigInteger(1, secret);
    for (int i = 1; i < t; i++) {
      coeff[i] = randomElement(random);
    }
    byte[][] shares = new byte[points.length][];
    for (int s = 0; s < points.length; s++) {
      BigInteger x = BigInteger.valueOf(points[s]);
      BigInteger y = coeff[t - 1];
      for (int i = t - 2; i >= 0; i--) {
        y = y.multiply(x).add(coeff[i]).mod(P);
      }
      shares[s] = encode(y);
    }
    return shares;
  }

  /**
   * The secret from shares at distinct points. Uses the first t shares and checks that one
   * further share, when given, lies on the same polynomial.
   */
  static byte[] reconstruct(int[] points, byte[][] shares, int t, String owner)
      throws SecAggException {
    if (points.length < t) {
      throw new SecAggException(SecAggException.Reason.TOO_FEW_SURVIVORS, "site '" + owner
          + "': " + points.length + " shares, threshold " + t + " needed to reconstruct");
    }
    BigInteger[] ys = new BigInteger[Math.min(points.length, t + 1)];
    for (int i = 0; i < ys.length; i++) {
      ys[i] = decode(shares[i], owner);
    }
    int[] xs = Arrays.copyOf(points, t);
    BigInteger secret = interpolate(xs, ys, 0);
    if (ys.length > t) {
      BigInteger check = interpolate(xs, ys, points[t]);
      if (!check.equals(ys[t])) {
        throw new SecAggException(SecAggException.Reason.INCONSISTENT_SHARES,
            "site '" + owner + "': shares do not lie on one polynomial");
      }
    }
    if (secret.bitLength() > 256) {
      throw new SecAggException(SecAggException.Reason.INCONSISTENT_SHARES,
          "site '" + owner + "': reconstructed value is not a 32-byte secret");
    }
    byte[] out = new byte[SECRET_LENGTH];
    byte[] raw = secret.toByteArray();
    int n = Math.min(raw.length, SECRET_LENGTH);
    System.arraycopy(raw, raw.length - n, out, SECRET_LENGTH - n, n);
    return out;
  }

  /** Lagrange interpolation at z of the polynomial through (xs[i], ys[i]), i < xs.length. */
  private static BigInteger interpolate(int[] xs, BigInteger[] ys, int z) {
    BigInteger sum = BigInteger.ZERO;
    for (int i = 0; i < xs.length; i++) {
      BigInteger num = BigInteger.ONE;
      BigInteger den = BigInteger.ONE;
      for (int j = 0; j < xs.length; j++) {
        if (j != i) {
          num = num.multiply(BigInteger.valueOf((long) z - xs[j]));
          den = den.multiply(BigInteger.valueOf((long) xs[i] - xs[j]));
        }
      }
      BigInteger w = num.mod(P).multiply(den.mod(P).modInverse(P)).mod(P);
      sum = sum.add(w.multiply(ys[i]));
    }
    return sum.mod(P);
  }

  static BigInteger decode(byte[] share, String owner) throws SecAggException {
    if (share.length != SHARE_LENGTH) {
      throw new SecAggException(SecAggException.Reason.MALFORMED, "share of site '" + owner
          + "' must be " + SHARE_LENGTH + " bytes, got " + share.length);
    }
    BigInteger y = new BigInteger(1, share);
    if (y.compareTo(P) >= 0) {
      throw new SecAggException(SecAggException.Reason.MALFORMED,
          "share of site '" + owner + "' is not a field element");
    }
    return y;
  }

  private static byte[] encode(BigInteger y) {
    byte[] raw = y.toByteArray();
    byte[] out = new byte[SHARE_LENGTH];
    int n = Math.min(raw.length, SHARE_LENGTH);
    System.arraycopy(raw, raw.length - n, out, SHARE_LENGTH - n, n);
    return out;
  }

  private static BigInteger randomElement(SecureRandom random) {
    byte[] b = new byte[SHARE_LENGTH];
    while (true) {
      random.nextBytes(b);
      b[0] &= 1;
      BigInteger v = new BigInteger(1, b);
      if (v.compareTo(P) < 0) {
        return v;
      }
    }
  }
}
