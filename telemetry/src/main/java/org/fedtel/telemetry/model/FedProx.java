package org.fedtel.telemetry.model;

/**
 * The FedProx proximal term (Li et al., "Federated Optimization in Heterogeneous Networks",
 * MLSys 2020): local objective + mu/2 * ||w - w_global||^2, which keeps a site's local model near
 * the global one on non-IID data.
 */
public final class FedProx {
  private FedProx() {}

  /** Adds the proximal gradient mu * (w - wGlobal) to {@code gradient} in place. */
  public static void addProximalGradient(double[] gradient, double[] w, double[] wGlobal, double mu) {
    check(gradient.length, w, wGlobal, mu);
    if (mu == 0) {
      return;
    }
    for (int i = 0; i < gradient.length; i++) {
      gradient[i] += mu * (w[i] - wGlobal[i]);
    }
  }

  /** The value mu/2 * ||w - wGlobal||^2. */
  public static double proximalTerm(double[] w, double[] wGlobal, double mu) {
    check(w.length, w, wGlobal, mu);
    double s = 0;
    for (int i = 0; i < w.length; i++) {
      double d = w[i] - wGlobal[i];
      s += d * d;
    }
    return 0.5 * mu * s;
  }

  private static void check(int n, double[] w, double[] wGlobal, double mu) {
    if (w.length != n || wGlobal.length != n) {
      throw new IllegalArgumentException("lengths differ: " + n + ", " + w.length + ", " + wGlobal.length);
    }
    if (!(mu >= 0) || !Double.isFinite(mu)) {
      throw new IllegalArgumentException("mu must be finite and >= 0, was " + mu);
    }
  }
}
