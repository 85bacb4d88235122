package org.fedtel.crypto.secagg;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

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
    // Coefficients as 9 little-endian 32-bit limbs each (see Horner below); the random ones are
    // drawn exactly as before (33 bytes, rejection sampling), so seeded runs give the same shares.
    long[] coeff = new long[t * LIMBS];
    toLimbs(new BigInteger(1, secret), coeff, 0);
    for (int i = 1; i < t; i++) {
      toLimbs(randomElement(random), coeff, i * LIMBS);
    }
    byte[][] shares = new byte[points.length][];
    long[] y = new long[LIMBS];
    for (int s = 0; s < points.length; s++) {
      if (points[s] < 1) {
        throw new IllegalArgumentException("evaluation point " + points[s] + " must be >= 1");
      }
      System.arraycopy(coeff, (t - 1) * LIMBS, y, 0, LIMBS);
      for (int i = t - 2; i >= 0; i--) {
        mulAddReduce(y, points[s], coeff, i * LIMBS);
      }
      shares[s] = encode(y);
      Arrays.fill(y, 0);
    }
    Arrays.fill(coeff, 0);
    return shares;
  }

  /** Limbs per field element: 8 × 32 bits for the low 256 bits, one more for bit 256. */
  static final int LIMBS = 9;
  private static final long MASK32 = 0xffff_ffffL;
  /** p = 2^256 + 297, so 2^256 ≡ −297 (mod p). */
  private static final long P_LOW = 297;

  /**
   * One Horner step y ← (y·x + c) mod p in place, for y, c < p (9 limbs of 32 bits in longs) and
   * 1 ≤ x < 2^31. The hot loop of {@link #split}: plain long arithmetic instead of BigInteger.
   *
   * <p>Bounds: each limb product plus carry stays below 2^64 (read unsigned), and
   * v = y·x + c < p·2^31 < 2^288, so h = ⌊v / 2^256⌋ fits in the ninth limb and v ≡ l − 297·h with
   * l = v mod 2^256. If l ≥ 297·h that is the result (< 2^256 < p); otherwise l − 297·h + p lies
   * in [p − 2^41, p), which is l − 297·h taken mod 2^256, plus 297, carried into bit 256.
   */
  static void mulAddReduce(long[] y, long x, long[] c, int off) {
    long carry = 0;
    for (int j = 0; j < LIMBS; j++) {
      long acc = y[j] * x + c[off + j] + carry;
      y[j] = acc & MASK32;
      carry = acc >>> 32;
    }
    long sub = P_LOW * y[8]; // < 2^41: two limbs
    long borrow = 0;
    for (int j = 0; j < 8; j++) {
      long s = j == 0 ? sub & MASK32 : j == 1 ? sub >>> 32 : 0;
      long d = y[j] - s - borrow;
      y[j] = d & MASK32;
      borrow = d >>> 63;
    }
    carry = P_LOW & -borrow; // add p back (2^256 is the dropped borrow; 297 here)
    for (int j = 0; j < 8; j++) {
      long a = y[j] + carry;
      y[j] = a & MASK32;
      carry = a >>> 32;
    }
    y[8] = carry;
  }

  private static void toLimbs(BigInteger v, long[] out, int off) {
    for (int j = 0; j < LIMBS; j++) {
      out[off + j] = v.shiftRight(32 * j).longValue() & MASK32;
    }
  }

  private static byte[] encode(long[] y) {
    byte[] out = new byte[SHARE_LENGTH];
    out[0] = (byte) y[8];
    for (int j = 0; j < 8; j++) {
      long limb = y[7 - j];
      int at = 1 + 4 * j;
      out[at] = (byte) (limb >>> 24);
      out[at + 1] = (byte) (limb >>> 16);
      out[at + 2] = (byte) (limb >>> 8);
      out[at + 3] = (byte) limb;
    }
    return out;
  }

  /**
   * Lagrange weights by evaluation-point set, so that rebuilding many secrets from shares held by
   * the same sites (the complete graph) costs one weight computation. Not thread-safe.
   */
  static final class Weights {
    private final Map<String, BigInteger[]> cache = new HashMap<>();

    /** w with Σ w_i·f(xs_i) = f(z) for every polynomial f of degree < xs.length. */
    BigInteger[] at(int[] xs, int z) {
      String key = z + ":" + Arrays.toString(xs);
      BigInteger[] w = cache.get(key);
      if (w == null) {
        w = compute(xs, z);
        cache.put(key, w);
      }
      return w;
    }

    private static BigInteger[] compute(int[] xs, int z) {
      int t = xs.length;
      BigInteger[] num = new BigInteger[t];
      BigInteger[] den = new BigInteger[t];
      for (int i = 0; i < t; i++) {
        BigInteger n = BigInteger.ONE;
        BigInteger d = BigInteger.ONE;
        for (int j = 0; j < t; j++) {
          if (j != i) {
            n = n.multiply(BigInteger.valueOf((long) z - xs[j])).mod(P);
            d = d.multiply(BigInteger.valueOf((long) xs[i] - xs[j])).mod(P);
          }
        }
        num[i] = n;
        den[i] = d;
      }
      // Montgomery's batch inversion: one modInverse for all denominators.
      BigInteger[] prefix = new BigInteger[t];
      BigInteger acc = BigInteger.ONE;
      for (int i = 0; i < t; i++) {
        prefix[i] = acc;
        acc = acc.multiply(den[i]).mod(P);
      }
      BigInteger inv = acc.modInverse(P);
      BigInteger[] w = new BigInteger[t];
      for (int i = t - 1; i >= 0; i--) {
        w[i] = num[i].multiply(inv.multiply(prefix[i]).mod(P)).mod(P);
        inv = inv.multiply(den[i]).mod(P);
      }
      return w;
    }
  }

  /**
   * The secret from shares at distinct points. Uses the first t shares and checks that one
   * further share, when given, lies on the same polynomial.
   */
  static byte[] reconstruct(int[] points, byte[][] shares, int t, String owner)
      throws SecAggException {
    return reconstruct(points, shares, t, owner, new Weights());
  }

  static byte[] reconstruct(int[] points, byte[][] shares, int t, String owner, Weights weights)
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
    BigInteger secret = combine(weights.at(xs, 0), ys);
    if (ys.length > t) {
      BigInteger check = combine(weights.at(xs, points[t]), ys);
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

  private static BigInteger combine(BigInteger[] w, BigInteger[] ys) {
    BigInteger sum = BigInteger.ZERO;
    for (int i = 0; i < w.length; i++) {
      sum = sum.add(w[i].multiply(ys[i]));
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
