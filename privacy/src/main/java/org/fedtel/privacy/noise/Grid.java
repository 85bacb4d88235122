package org.fedtel.privacy.noise;

/** Power-of-two grid arithmetic shared by the secure samplers (Mironov 2012, §5). */
final class Grid {
  private Grid() {}

  /** Smallest power of two ≥ x, for finite x &gt; 0. */
  static double ceilPowerOfTwo(double x) {
    if (!(x > 0) || Double.isInfinite(x)) {
      throw new IllegalArgumentException("expected a finite positive value, got " + x);
    }
    if (x < Double.MIN_NORMAL) {
      return Double.MIN_NORMAL;
    }
    int e = Math.getExponent(x);
    double p = Math.scalb(1.0, e);
    return p == x ? p : Math.scalb(1.0, e + 1);
  }

  /** x rounded to the nearest multiple of the power of two g (x/g is exact). */
  static double roundToMultiple(double x, double g) {
    return Math.rint(x / g) * g;
  }

  static void requireFinite(String name, double v) {
    if (!Double.isFinite(v)) {
      throw new IllegalArgumentException(name + " must be finite, got " + v);
    }
  }

  static void requirePositive(String name, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
    }
  }
}
