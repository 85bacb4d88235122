package org.fedtel.privacy.accounting;

import org.apache.commons.math3.special.Erf;

/**
 * Privacy-loss-distribution accountant for the Poisson-subsampled Gaussian mechanism under
 * add/remove adjacency (Meiser &amp; Mohammadi, CCS 2018; Koskela, Jälkö &amp; Honkela, AISTATS 2020;
 * the pessimistic discretisation of Google's dp_accounting, Doroshenko et al., PETS 2022). Each
 * step's loss distribution is discretised on a grid of width h with every loss rounded up, tails
 * beyond {@code TAIL} moved up (lower tail) or to +∞ (upper tail); steps compose by FFT convolution
 * with exponentiation by squaring. Both adjacency directions are tracked; ε and δ are the worse.
 */
public final class PldAccountant {
  private static final double TAIL = 1e-15;
  private final double h;
  private Pld remove;
  private Pld add;

  /** Grid width 1e-4. */
  public PldAccountant() {
    this(1e-4);
  }

  public PldAccountant(double discretization) {
    if (!(discretization > 0 && discretization <= 0.1)) {
      throw new IllegalArgumentException("discretization must be in (0, 0.1], got " + discretization);
    }
    this.h = discretization;
    this.remove = Pld.identity(h);
    this.add = Pld.identity(h);
  }

  /** Composes {@code steps} steps of the sampled Gaussian mechanism; returns this. */
  public PldAccountant composeSampledGaussian(double samplingRate, double noiseMultiplier, long steps) {
    RdpAccountant.checkSampledGaussian(samplingRate, noiseMultiplier, steps);
    if (steps == 0 || samplingRate == 0) {
      return this;
    }
    if (noiseMultiplier == 0) {
      remove = new Pld(h, 0, new double[] {0}, 1);
      add = remove;
      return this;
    }
    remove = remove.compose(step(samplingRate, noiseMultiplier, true).selfCompose(steps, TAIL), TAIL);
    add = add.compose(step(samplingRate, noiseMultiplier, false).selfCompose(steps, TAIL), TAIL);
    return this;
  }

  /** δ at the given ε (an upper bound; exact up to the discretisation). */
  public double delta(double epsilon) {
    if (!(epsilon >= 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be finite and >= 0, got " + epsilon);
    }
    return Math.max(remove.delta(epsilon), add.delta(epsilon));
  }

  /** ε at the given δ. */
  public double epsilon(double delta) {
    RdpAccountant.checkDelta(delta);
    return Math.max(remove.epsilon(delta), add.epsilon(delta));
  }

  /** Smallest noise multiplier (relative tolerance 1e-6) reaching (ε, δ) after {@code steps} steps at rate q. */
  public static double noiseMultiplierFor(double epsilon, double delta, double samplingRate, long steps) {
    return noiseMultiplierFor(epsilon, delta, samplingRate, steps, 1e-4);
  }

  /** As {@link #noiseMultiplierFor(double, double, double, long)} on a grid of the given width. */
  public static double noiseMultiplierFor(double epsilon, double delta, double samplingRate, long steps,
      double discretization) {
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be finite and > 0, got " + epsilon);
    }
    RdpAccountant.checkDelta(delta);
    RdpAccountant.checkSampledGaussian(samplingRate, 1, steps);
    if (steps == 0 || samplingRate == 0) {
      return 0;
    }
    return NoiseSearch.smallest(epsilon,
        z -> new PldAccountant(discretization).composeSampledGaussian(samplingRate, z, steps).epsilon(delta));
  }

  /**
   * One step's pessimistic PLD. With μ₀ = N(0, σ²), μ₁ = N(1, σ²), mixture M = (1−q)μ₀ + qμ₁ and
   * g(x) = ln((1−q) + q·e^{(2x−1)/(2σ²)}) increasing: "remove" is ℓ = g(X), X ~ M; "add" is
   * ℓ = −g(X), X ~ μ₀.
   */
  private Pld step(double q, double sigma, boolean removeDirection) {
    double xLo = sigma * inverseStandardNormalLowerTail();
    double xHi = (removeDirection ? 1 : 0) - sigma * inverseStandardNormalLowerTail();
    double lossLo = removeDirection ? g(xLo, q, sigma) : -g(xHi, q, sigma);
    double lossHi = removeDirection ? g(xHi, q, sigma) : -g(xLo, q, sigma);
    long iLo = (long) Math.floor(lossLo / h);
    long iHi = (long) Math.ceil(lossHi / h);
    if (iHi - iLo > 50_000_000L) {
      throw new IllegalArgumentException("loss distribution too wide for discretization " + h);
    }
    int n = (int) (iHi - iLo + 1);
    double[] p = new double[n];
    p[0] = cdfLoss(iLo * h, q, sigma, removeDirection);
    double prevCdf = p[0];
    double prevSurv = Double.NaN;
    boolean lowerHalf = true;
    for (int k = 1; k < n; k++) {
      double t = (iLo + k) * h;
      // Subtract on the side where the values are small, to keep relative precision.
      if (lowerHalf) {
        double cdf = cdfLoss(t, q, sigma, removeDirection);
        if (cdf <= 0.5) {
          p[k] = Math.max(0, cdf - prevCdf);
          prevCdf = cdf;
          continue;
        }
        lowerHalf = false;
        prevSurv = survLoss(t - h, q, sigma, removeDirection);
      }
      double surv = survLoss(t, q, sigma, removeDirection);
      p[k] = Math.max(0, prevSurv - surv);
      prevSurv = surv;
    }
    double inf = survLoss(iHi * h, q, sigma, removeDirection);
    return new Pld(h, iLo, p, inf);
  }

  private static double inverseStandardNormalLowerTail() {
    // Φ^{-1}(1e-15)·(1.02): a little beyond, so the neglected tails are below TAIL.
    return -7.941345326170997 * 1.02;
  }

  private static double g(double x, double q, double sigma) {
    double e = (2 * x - 1) / (2 * sigma * sigma);
    if (q == 1) {
      return e;
    }
    // ln((1−q) + q e^e) computed stably.
    double a = Math.log1p(-q);
    double b = Math.log(q) + e;
    return RdpAccountant.logAdd(a, b);
  }

  /** g⁻¹(s), or −∞ when s ≤ ln(1−q). */
  private static double gInverse(double s, double q, double sigma) {
    if (q < 1 && s <= Math.log1p(-q)) {
      return Double.NEGATIVE_INFINITY;
    }
    double inner = q == 1 ? s : s + Math.log1p(-(1 - q) * Math.exp(-s)) - Math.log(q);
    return sigma * sigma * inner + 0.5;
  }

  private static double phi(double y) {
    return y == Double.NEGATIVE_INFINITY ? 0 : 0.5 * Erf.erfc(-y / Math.sqrt(2));
  }

  private static double phiC(double y) {
    return y == Double.NEGATIVE_INFINITY ? 1 : 0.5 * Erf.erfc(y / Math.sqrt(2));
  }

  /** P(ℓ ≤ t). */
  private static double cdfLoss(double t, double q, double sigma, boolean removeDirection) {
    if (removeDirection) {
      double x = gInverse(t, q, sigma);
      return (1 - q) * phi(x / sigma) + q * phi((x - 1) / sigma);
    }
    return phiC(gInverse(-t, q, sigma) / sigma);
  }

  /** P(ℓ &gt; t). */
  private static double survLoss(double t, double q, double sigma, boolean removeDirection) {
    if (removeDirection) {
      double x = gInverse(t, q, sigma);
      return (1 - q) * phiC(x / sigma) + q * phiC((x - 1) / sigma);
    }
    return phi(gInverse(-t, q, sigma) / sigma);
  }
}
