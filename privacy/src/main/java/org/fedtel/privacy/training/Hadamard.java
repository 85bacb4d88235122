package org.fedtel.privacy.training;

/** Randomized Hadamard rotation x ↦ H·D·x/√d (D a public ±1 diagonal), its inverse, in place. */
final class Hadamard {
  private Hadamard() {}

  static int paddedLength(int d) {
    int p = Integer.highestOneBit(Math.max(1, d));
    return p == d ? d : p << 1;
  }

  /** Fast Walsh–Hadamard transform, normalised so that it is orthonormal and its own inverse. */
  static void transform(double[] a) {
    int n = a.length;
    for (int h = 1; h < n; h <<= 1) {
      for (int i = 0; i < n; i += h << 1) {
        for (int j = i; j < i + h; j++) {
          double x = a[j];
          double y = a[j + h];
          a[j] = x + y;
          a[j + h] = x - y;
        }
      }
    }
    double s = 1 / Math.sqrt(n);
    for (int i = 0; i < n; i++) {
      a[i] *= s;
    }
  }

  static void forward(double[] a, byte[] signs) {
    for (int i = 0; i < a.length; i++) {
      a[i] *= signs[i];
    }
    transform(a);
  }

  static void inverse(double[] a, byte[] signs) {
    transform(a);
    for (int i = 0; i < a.length; i++) {
      a[i] *= signs[i];
    }
  }
}
