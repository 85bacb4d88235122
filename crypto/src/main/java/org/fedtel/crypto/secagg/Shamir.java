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
