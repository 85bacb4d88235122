package org.fedtel.privacy.accounting;

import org.apache.commons.math3.transform.DftNormalization;
import org.apache.commons.math3.transform.FastFourierTransformer;
import org.apache.commons.math3.transform.TransformType;

/**
 * A discretised privacy-loss distribution: mass p[k] at loss (offset + k)·h, plus mass at +∞.
 * Immutable. Every approximation moves mass towards larger losses (pessimistic), except FFT
 * round-off (~1e-16 per entry), which we clamp at zero.
 */
final class Pld {
  final double h;
  final long offset;
  final double[] p;
  final double infinity;

  Pld(double h, long offset, double[] p, double infinity) {
    this.h = h;
    this.offset = offset;
    this.p = p;
    this.infinity = infinity;
  }

  static Pld identity(double h) {
    return new Pld(h, 0, new double[] {1.0}, 0);
  }

  /** δ(ε) = P(∞) + Σ_{ℓ &gt; ε} p(ℓ)(1 − e^{ε−ℓ}). */
  double delta(double epsilon) {
    double d = 0;
    for (int k = p.length - 1; k >= 0; k--) {
      double loss = (offset + k) * h;
      if (loss <= epsilon) {
        break;
      }
      d += p[k] * -Math.expm1(epsilon - loss);
    }
    return Math.min(1, infinity + d);
  }

  /** Smallest ε ≥ 0 with δ(ε) ≤ δ (bisection to 1e-10 absolute), or +∞ if P(∞) &gt; δ. */
  double epsilon(double delta) {
    if (infinity > delta) {
      return Double.POSITIVE_INFINITY;
    }
    if (delta(0) <= delta) {
      return 0;
    }
    double lo = 0;
    double hi = Math.max(h, (offset + p.length) * h);
    while (delta(hi) > delta) {
      hi *= 2;
    }
    while (hi - lo > 1e-10) {
      double mid = 0.5 * (lo + hi);
      if (delta(mid) > delta) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }

  Pld compose(Pld o, double tail) {
    double[] c = convolve(p, o.p);
    double inf = 1 - (1 - infinity) * (1 - o.infinity);
    return truncate(offset + o.offset, c, inf, tail);
  }

  Pld selfCompose(long times, double tail) {
    Pld result = identity(h);
    Pld base = this;
    long t = times;
    while (t > 0) {
      if ((t & 1) == 1) {
        result = result.compose(base, tail);
      }
      t >>= 1;
      if (t > 0) {
        base = base.compose(base, tail);
      }
    }
    return result;
  }

  /** Moves lower-tail mass ≤ tail up to the first kept bucket and upper-tail mass ≤ tail to +∞. */
  private Pld truncate(long off, double[] c, double inf, double tail) {
    int lo = 0;
    double low = 0;
    while (lo < c.length - 1 && low + c[lo] <= tail) {
      low += c[lo];
      lo++;
    }
    int hi = c.length - 1;
    double high = 0;
    while (hi > lo && high + c[hi] <= tail) {
      high += c[hi];
      hi--;
    }
    double[] kept = java.util.Arrays.copyOfRange(c, lo, hi + 1);
    kept[0] += low;
    return new Pld(h, off + lo, kept, Math.min(1, inf + high));
  }

  static double[] convolve(double[] a, double[] b) {
    int n = a.length + b.length - 1;
    double[] out = new double[n];
    if ((long) a.length * b.length <= 1 << 16) {
      for (int i = 0; i < a.length; i++) {
        for (int j = 0; j < b.length; j++) {
          out[i + j] += a[i] * b[j];
        }
      }
      return out;
    }
    int size = Integer.highestOneBit(n);
    if (size < n) {
      size <<= 1;
    }
    double[][] x = new double[2][size];
    double[][] y = new double[2][size];
    System.arraycopy(a, 0, x[0], 0, a.length);
    System.arraycopy(b, 0, y[0], 0, b.length);
    FastFourierTransformer.transformInPlace(x, DftNormalization.STANDARD, TransformType.FORWARD);
    FastFourierTransformer.transformInPlace(y, DftNormalization.STANDARD, TransformType.FORWARD);
    for (int k = 0; k < size; k++) {
      double re = x[0][k] * y[0][k] - x[1][k] * y[1][k];
      double im = x[0][k] * y[1][k] + x[1][k] * y[0][k];
      x[0][k] = re;
      x[1][k] = im;
    }
    FastFourierTransformer.transformInPlace(x, DftNormalization.STANDARD, TransformType.INVERSE);
    for (int k = 0; k < n; k++) {
      out[k] = Math.max(0, x[0][k]);
    }
    return out;
  }
}
