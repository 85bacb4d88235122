package org.fedtel.privacy.training;

/** L2 clipping of a vector to norm ≤ C (McMahan et al., "Learning Differentially Private Recurrent Language Models", ICLR 2018). */
public final class UpdateClipping {
  private UpdateClipping() {}

  /** The L2 norm of v; throws if any element is not finite. */
  public static double l2Norm(double[] v) {
    double s = 0;
    for (int i = 0; i < v.length; i++) {
      double x = v[i];
      if (!Double.isFinite(x)) {
        throw new IllegalArgumentException("element " + i + " is not finite: " + x);
      }
      s += x * x;
    }
    return Math.sqrt(s);
  }

  /** Scales {@code update} in place so its L2 norm is at most {@code clipNorm}; returns the norm before clipping. */
  public static double clipInPlace(double[] update, double clipNorm) {
    if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
      throw new IllegalArgumentException("clip norm must be finite and > 0, got " + clipNorm);
    }
    double norm = l2Norm(update);
    if (norm > clipNorm) {
      double f = clipNorm / norm;
      for (int i = 0; i < update.length; i++) {
        update[i] *= f;
      }
    }
    return norm;
  }
}
