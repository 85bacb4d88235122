package org.fedtel.privacy.accounting;

/**
 * Calibration of the Gaussian mechanism.
 *
 * <p>The analytic Gaussian mechanism of Balle &amp; Wang (ICML 2018, Thm 8): the mechanism with
 * L2 sensitivity Δ and noise σ is (ε, δ)-DP iff δ ≥ Φ(Δ/(2σ) − εσ/Δ) − e^ε Φ(−Δ/(2σ) − εσ/Δ). We find
 * the smallest σ by bisection on that exact expression (evaluated in log space) instead of their
 * closed-form root search; both give the same σ. zCDP follows Bun &amp; Steinke (TCC 2016).
 */
public final class GaussianCalibration {
  private GaussianCalibration() {}

  /** Exact δ(ε) of the Gaussian mechanism with sensitivity Δ and noise std σ. */
  public static double delta(double epsilon, double sigma, double sensitivity) {
    requirePositive("sigma", sigma);
    requirePositive("sensitivity", sensitivity);
    if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be finite and >= 0, got " + epsilon);
    }
    double a = sensitivity / (2 * sigma);
    double b = epsilon * sigma / sensitivity;
    double d = Math.exp(logPhi(a - b)) - Math.exp(epsilon + logPhi(-a - b));
    return Math.max(0, d);
  }

  /** Smallest σ (relative tolerance 1e-12) with {@link #delta} ≤ δ: the analytic Gaussian mechanism. */
  public static double analyticSigma(double epsilon, double delta, double sensitivity) {
    requirePositive("epsilon", epsilon);
    RdpAccountant.checkDelta(delta);
    requirePositive("sensitivity", sensitivity);
    double hi = sensitivity;
    while (delta(epsilon, hi, sensitivity) > delta) {
      hi *= 2;
    }
    double lo = hi / 2;
    while (delta(epsilon, lo, sensitivity) <= delta && lo > 1e-300) {
      lo /= 2;
    }
    while (hi - lo > 1e-12 * hi) {
      double mid = 0.5 * (lo + hi);
      if (delta(epsilon, mid, sensitivity) > delta) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }

  /** The classic bound σ = Δ √(2 ln(1.25/δ)) / ε (Dwork &amp; Roth, Thm A.1; valid for ε &lt; 1). */
  public static double classicSigma(double epsilon, double delta, double sensitivity) {
    requirePositive("epsilon", epsilon);
    RdpAccountant.checkDelta(delta);
    requirePositive("sensitivity", sensitivity);
    return sensitivity * Math.sqrt(2 * Math.log(1.25 / delta)) / epsilon;
  }

  /** ρ of the Gaussian (or discrete Gaussian, Canonne et al. 2020) mechanism: Δ²/(2σ²). */
  public static double zcdpRho(double sigma, double sensitivity) {
    requirePositive("sigma", sigma);
    requirePositive("sensitivity", sensitivity);
    return sensitivity * sensitivity / (2 * sigma * sigma);
  }

  /** σ for ρ-zCDP at sensitivity Δ: Δ / √(2ρ). */
  public static double zcdpSigma(double rho, double sensitivity) {
    requirePositive("rho", rho);
    requirePositive("sensitivity", sensitivity);
    return sensitivity / Math.sqrt(2 * rho);
  }

  /** ρ-zCDP implies (ρ + 2√(ρ ln(1/δ)), δ)-DP (Bun &amp; Steinke 2016, Prop. 1.3). */
  public static double zcdpEpsilon(double rho, double delta) {
    if (!(rho >= 0) || Double.isInfinite(rho)) {
      throw new IllegalArgumentException("rho must be finite and >= 0, got " + rho);
    }
    RdpAccountant.checkDelta(delta);
    return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
  }

  /** ln Φ(x), accurate in the far lower tail. */
  static double logPhi(double x) {
    // Φ(x) = erfc(−x/√2)/2.
    return Math.log(0.5) + RdpAccountant.logErfc(-x / Math.sqrt(2));
  }

  private static void requirePositive(String name, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
    }
  }
}
