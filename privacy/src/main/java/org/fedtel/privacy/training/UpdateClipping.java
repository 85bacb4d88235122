package org.fedtel.privacy.training;

/**
 * L2 clipping of a vector to norm ≤ C (McMahan et al., "Learning Differentially Private Recurrent
 * Language Models", ICLR 2018).
 *
 * <p>The norm is √Σx² when that sum is safe to use. It overflows once an element exceeds about
 * 1.3e154 (and squares lose precision to underflow when the norm is below about 1e-144); then it is
 * recomputed as m·√Σ(x/m)² with m = max|x| (every term in [0, 1], as hypot does), and a clipped
 * vector is formed as (x/m)/√Σ(x/m)²·C, so every finite vector clips to norm ≤ C.
 */
public final class UpdateClipping {
  /** Below this Σx² the squares of small elements may have lost precision to underflow. */
  private static final double MIN_PLAIN_SUM = 0x1p-960;

  private UpdateClipping() {}

  /**
   * The L2 norm of v; throws if any element is not finite. +∞ only if the true norm exceeds
   * {@link Double#MAX_VALUE}.
   */
  public static double l2Norm(double[] v) {
    double s = sumOfSquares(v);
    if (isPlain(s)) {
      return Math.sqrt(s);
    }
    double m = maxAbs(v);
    return m == 0 ? 0 : m * Math.sqrt(scaledSumOfSquares(v, m));
  }

  /**
   * Scales {@code update} in place so its L2 norm is at most {@code clipNorm}; returns the norm
   * before clipping (+∞ if it exceeds {@link Double#MAX_VALUE}; the update is still clipped).
   */
  public static double clipInPlace(double[] update, double clipNorm) {
    if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
      throw new IllegalArgumentException("clip norm must be finite and > 0, got " + clipNorm);
    }
    return clipInto(update, clipNorm, update, false);
  }

  /**
   * Writes {@code v} clipped to L2 norm ≤ {@code clipNorm} into {@code out} (which may be {@code v}),
   * added to out's contents if {@code accumulate}, else replacing them; returns v's norm before
   * clipping. Throws if an element of v is not finite. The common path is two plain passes (the
   * DP-SGD hot loop); the scaled path runs only when Σx² is out of range.
   */
  static double clipInto(double[] v, double clipNorm, double[] out, boolean accumulate) {
    double s = sumOfSquares(v);
    double m = 1; // v = m·u with ‖u‖ = √s
    boolean scaled = !isPlain(s);
    if (scaled) {
      m = maxAbs(v); // also rejects NaN and ±∞, which are what make s NaN or ∞ besides overflow
      s = m == 0 ? 0 : scaledSumOfSquares(v, m);
    }
    double root = Math.sqrt(s);
    double norm = m * root;
    if (norm > clipNorm) {
      // (u/√s)·C: |u/√s| ≤ 1, so nothing overflows, and nothing underflows that C·u/‖u‖ would not.
      double inv = 1 / root;
      for (int i = 0; i < v.length; i++) {
        double c = (scaled ? v[i] / m : v[i]) * inv * clipNorm;
        out[i] = accumulate ? out[i] + c : c;
      }
    } else if (accumulate) {
      for (int i = 0; i < v.length; i++) {
        out[i] += v[i];
      }
    } else if (out != v) {
      System.arraycopy(v, 0, out, 0, v.length);
    }
    return norm;
  }

  private static boolean isPlain(double sumOfSquares) {
    return sumOfSquares >= MIN_PLAIN_SUM && sumOfSquares <= Double.MAX_VALUE;
  }

  private static double sumOfSquares(double[] v) {
    double s = 0;
    for (int i = 0; i < v.length; i++) {
      s += v[i] * v[i];
    }
    return s;
  }

  private static double scaledSumOfSquares(double[] v, double m) {
    double s = 0;
    for (int i = 0; i < v.length; i++) {
      double u = v[i] / m;
      s += u * u;
    }
    return s;
  }

  /** max|x| over v; throws if an element is not finite. */
  private static double maxAbs(double[] v) {
    double m = 0;
    for (int i = 0; i < v.length; i++) {
      double x = v[i];
      if (!Double.isFinite(x)) {
        throw new IllegalArgumentException("element " + i + " is not finite: " + x);
      }
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }
}
