package org.fedtel.privacy.accounting;

import java.util.Arrays;

/**
 * Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism.
 *
 * <p>RDP of one step follows Mironov, Talwar &amp; Zhang, "Rényi Differential Privacy of the Sampled
 * Gaussian Mechanism" (2019), §3.3: exact sums for integer orders and the two-sided erfc series for
 * fractional orders, all in log space. Composition adds RDP per order (Mironov, CSF 2017, Prop. 1).
 * Conversion to (ε, δ) is by default the improved bound of Canonne, Kamath &amp; Steinke (2020, Prop.
 * 12) / Balle et al. (2020): ε = RDP(α) + ln((α−1)/α) − (ln δ + ln α)/(α−1), evaluated for α &gt; 1.01;
 * the classic bound ε = RDP(α) + ln(1/δ)/(α−1) (Mironov 2017, Prop. 3) is available.
 *
 * <p>Instances are mutable and not thread-safe; they only ever accumulate spend.
 */
public final class RdpAccountant {
  private static final double[] DEFAULT_ORDERS = buildDefaultOrders();
  /**
   * The largest order accepted. The integer-order sum has α+1 terms (2^31 of them took minutes) and
   * ε's order term ln(1/δ)/(α−1) is already below 1e-3 at 2^20 for any δ ≥ 1e-300.
   */
  static final double MAX_ORDER = 0x1p20;
  /**
   * Below this 2σ² (σ under about 7e-146) the RDP of every order exceeds 1e289 (it is at least
   * α/(2σ²) + α·ln q/(α−1)) and the terms' exponents (i²−i)/(2σ²) overflow: the RDP is taken as +∞.
   */
  private static final double MIN_TWO_SIGMA2 = 1e-290;
  /** A_α ≥ 1, so a series term below e^-50 cannot change log A_α in double precision. */
  private static final double LOG_NEGLIGIBLE = -50;

  private final double[] orders;
  private final double[] rdp;
  // One step's RDP for the last (q, z) seen: sites compose the same step over and over.
  private double cachedQ = Double.NaN;
  private double cachedZ = Double.NaN;
  private final double[] cachedStep;

  /** An accountant over {@link #defaultOrders()}. */
  public RdpAccountant() {
    this(DEFAULT_ORDERS);
  }

  /** An accountant over the given orders; each must be greater than 1 and at most 2^20. */
  public RdpAccountant(double[] orders) {
    if (orders == null || orders.length == 0) {
      throw new IllegalArgumentException("orders must be non-empty");
    }
    for (double a : orders) {
      if (!(a > 1.0 && a <= MAX_ORDER)) {
        throw new IllegalArgumentException("RDP order must be > 1 and <= 2^20, got " + a);
      }
    }
    this.orders = orders.clone();
    this.rdp = new double[orders.length];
    this.cachedStep = new double[orders.length];
  }

  /** VECTORS.md "default for fedtel": 1.1..10.9 step 0.1, 11..63, 128, 256, 512, 1024 (a copy). */
  public static double[] defaultOrders() {
    return DEFAULT_ORDERS.clone();
  }

  private static double[] buildDefaultOrders() {
    double[] o = new double[99 + 53 + 4];
    int k = 0;
    for (int x = 11; x <= 109; x++) {
      o[k++] = x / 10.0;
    }
    for (int a = 11; a <= 63; a++) {
      o[k++] = a;
    }
    o[k++] = 128;
    o[k++] = 256;
    o[k++] = 512;
    o[k++] = 1024;
    return o;
  }

  /** The orders this accountant tracks (a copy). */
  public double[] orders() {
    return orders.clone();
  }

  /** Accumulated RDP per order (a copy), aligned with {@link #orders()}. */
  public double[] rdp() {
    return rdp.clone();
  }

  /**
   * Composes {@code steps} steps of the Poisson-subsampled Gaussian mechanism with sampling rate
   * {@code samplingRate} ∈ [0, 1] and noise multiplier {@code noiseMultiplier} ≥ 0 (σ/Δ₂).
   *
   * @return this
   */
  public RdpAccountant composeSampledGaussian(double samplingRate, double noiseMultiplier, long steps) {
    checkSampledGaussian(samplingRate, noiseMultiplier, steps);
    if (steps == 0) {
      return this;
    }
    if (samplingRate != cachedQ || noiseMultiplier != cachedZ) {
      for (int i = 0; i < orders.length; i++) {
        cachedStep[i] = sampledGaussianRdp(samplingRate, noiseMultiplier, orders[i]);
      }
      cachedQ = samplingRate;
      cachedZ = noiseMultiplier;
    }
    for (int i = 0; i < orders.length; i++) {
      rdp[i] += steps * cachedStep[i];
    }
    return this;
  }

  /**
   * Composes rounds of DP-FedAvg with adaptive clipping (Andrew et al., NeurIPS 2021, §3.1): the
   * clipped update sum with noise multiplier z_Δ and the clipped-count sum (indicators centred to
   * ±1/2, sensitivity 1/2) with noise std σ_b, both over the same sampled sites. Their joint release
   * is one Gaussian mechanism with multiplier z = (z_Δ⁻² + (2σ_b)⁻²)^(−1/2).
   */
  public RdpAccountant composeAdaptiveClipping(double samplingRate, double updateNoiseMultiplier,
      double clippedCountStddev, long steps) {
    return composeSampledGaussian(samplingRate,
        adaptiveClippingNoiseMultiplier(updateNoiseMultiplier, clippedCountStddev), steps);
  }

  /** The effective noise multiplier (z_Δ⁻² + (2σ_b)⁻²)^(−1/2) of adaptive clipping. */
  public static double adaptiveClippingNoiseMultiplier(double updateNoiseMultiplier, double clippedCountStddev) {
    if (!(updateNoiseMultiplier > 0) || Double.isInfinite(updateNoiseMultiplier)) {
      throw new IllegalArgumentException("update noise multiplier must be finite and > 0, got "
          + updateNoiseMultiplier);
    }
    if (!(clippedCountStddev > 0) || Double.isInfinite(clippedCountStddev)) {
      throw new IllegalArgumentException("clipped-count stddev must be finite and > 0, got "
          + clippedCountStddev);
    }
    double inv = 1 / (updateNoiseMultiplier * updateNoiseMultiplier)
        + 1 / (4 * clippedCountStddev * clippedCountStddev);
    return 1 / Math.sqrt(inv);
  }

  /** Adds all of {@code other}'s spend (same orders required). */
  public RdpAccountant compose(RdpAccountant other) {
    if (!Arrays.equals(orders, other.orders)) {
      throw new IllegalArgumentException("cannot compose accountants over different orders");
    }
    for (int i = 0; i < orders.length; i++) {
      rdp[i] += other.rdp[i];
    }
    return this;
  }

  /** ε for the given δ by the improved conversion (the default). */
  public double epsilon(double delta) {
    return improved(delta)[0];
  }

  /** The order at which {@link #epsilon(double)} is attained. */
  public double optimalOrder(double delta) {
    return improved(delta)[1];
  }

  /** ε for the given δ by the classic conversion (Mironov 2017). */
  public double epsilonClassic(double delta) {
    return classic(delta)[0];
  }

  /** The order at which {@link #epsilonClassic(double)} is attained. */
  public double optimalOrderClassic(double delta) {
    return classic(delta)[1];
  }

  private double[] classic(double delta) {
    checkDelta(delta);
    double best = Double.POSITIVE_INFINITY;
    double bestOrder = Double.NaN;
    double logInvDelta = -Math.log(delta);
    for (int i = 0; i < orders.length; i++) {
      double e = rdp[i] + logInvDelta / (orders[i] - 1);
      if (e < best) {
        best = e;
        bestOrder = orders[i];
      }
    }
    return new double[] {Math.max(0, best), bestOrder};
  }

  private double[] improved(double delta) {
    checkDelta(delta);
    double best = Double.POSITIVE_INFINITY;
    double bestOrder = Double.NaN;
    double logDelta = Math.log(delta);
    for (int i = 0; i < orders.length; i++) {
      double a = orders[i];
      double r = rdp[i];
      double e;
      if (delta * delta + Math.expm1(-r) > 0) {
        // δ ≥ sqrt(1 − e^{−KL}) ≥ TV: (0, δ)-DP already holds (Pinsker-type bound, as TF-Privacy).
        e = 0;
      } else if (a > 1.01) {
        e = r + Math.log1p(-1 / a) - (logDelta + Math.log(a)) / (a - 1);
      } else {
        e = Double.POSITIVE_INFINITY;
      }
      if (e < best) {
        best = e;
        bestOrder = a;
      }
    }
    return new double[] {Math.max(0, best), bestOrder};
  }

  /**
   * The smallest noise multiplier (to a relative tolerance of 1e-6) for which {@code steps} steps at
   * rate {@code samplingRate} reach at most {@code epsilon} at {@code delta}, on the default orders
   * with the improved conversion.
   */
  public static double noiseMultiplierFor(double epsilon, double delta, double samplingRate, long steps) {
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("epsilon must be finite and > 0, got " + epsilon);
    }
    checkDelta(delta);
    checkSampledGaussian(samplingRate, 1, steps);
    if (steps == 0 || samplingRate == 0) {
      return 0;
    }
    return NoiseSearch.smallest(epsilon,
        z -> new RdpAccountant().composeSampledGaussian(samplingRate, z, steps).epsilon(delta));
  }

  static void checkDelta(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
    }
  }

  static void checkSampledGaussian(double q, double z, long steps) {
    if (!(q >= 0 && q <= 1)) {
      throw new IllegalArgumentException("sampling rate must be in [0, 1], got " + q);
    }
    if (!(z >= 0) || Double.isInfinite(z)) {
      throw new IllegalArgumentException("noise multiplier must be finite and >= 0, got " + z);
    }
    if (steps < 0) {
      throw new IllegalArgumentException("steps must be >= 0, got " + steps);
    }
  }

  /** RDP at order α of one step of the sampled Gaussian mechanism. */
  static double sampledGaussianRdp(double q, double sigma, double alpha) {
    if (q == 0) {
      return 0;
    }
    double twoSigma2 = 2 * sigma * sigma;
    if (twoSigma2 < MIN_TWO_SIGMA2) { // includes σ = 0
      return Double.POSITIVE_INFINITY;
    }
    if (q == 1.0 || Double.isInfinite(twoSigma2)) {
      // For q < 1 and σ above ~1e154 (σ² overflows, and z0 = σ²·ln(1/q − 1) with it): subsampling
      // never increases RDP, and the unsampled α/(2σ²) rounds to 0.
      return alpha / twoSigma2;
    }
    double logA = alpha == Math.rint(alpha) && alpha <= Integer.MAX_VALUE - 1
        ? logAInt(q, sigma, (int) alpha)
        : logAFrac(q, sigma, alpha);
    // RDP lies in [0, α/(2σ²)] (A_α ≥ 1 by Jensen; A_α ≤ (1−q) + q·e^{α(α−1)/(2σ²)} by convexity of
    // x^α): clamping only removes rounding, e.g. −1e-300 at q = 1e-300 or ±1e-16 when σ ≥ 1e8.
    return Math.max(0, Math.min(alpha / twoSigma2, logA / (alpha - 1)));
  }

  /** log A_α for integer α: ln Σ_i C(α,i) q^i (1−q)^{α−i} exp((i²−i)/(2σ²)). */
  static double logAInt(double q, double sigma, int alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double twoSigma2 = 2 * sigma * sigma;
    // log C(α, i) accumulated incrementally: exact enough and no lgamma per term.
    double logBinom = 0;
    double acc = Double.NEGATIVE_INFINITY;
    for (int i = 0; i <= alpha; i++) {
      if (i > 0) {
        logBinom += Math.log((double) (alpha - i + 1) / i);
      }
      double s = logBinom + i * logQ + (alpha - i) * log1mQ + ((double) i * i - i) / twoSigma2;
      acc = logAdd(acc, s);
    }
    return acc;
  }

  /** log A_α for fractional α (Mironov, Talwar &amp; Zhang 2019, §3.3), series to convergence. */
  static double logAFrac(double q, double sigma, double alpha) {
    double logA0 = Double.NEGATIVE_INFINITY;
    double logA1 = Double.NEGATIVE_INFINITY;
    double z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double sqrt2Sigma = Math.sqrt(2) * sigma;
    double twoSigma2 = 2 * sigma * sigma;
    double logAbsCoef = 0; // log |C(α, i)|
    boolean coefPositive = true;
    for (int i = 0; ; i++) {
      if (i > 0) {
        double f = (alpha - i + 1) / i;
        if (f == 0) {
          // Only when α is an integer, which is routed to logAInt.
          break;
        }
        logAbsCoef += Math.log(Math.abs(f));
        if (f < 0) {
          coefPositive = !coefPositive;
        }
      }
      double j = alpha - i;
      double logT0 = logAbsCoef + i * logQ + j * log1mQ;
      double logT1 = logAbsCoef + j * logQ + i * log1mQ;
      double logE0 = Math.log(0.5) + logErfc((i - z0) / sqrt2Sigma);
      double logE1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2Sigma);
      double logS0 = logT0 + ((double) i * i - i) / twoSigma2 + logE0;
      double logS1 = logT1 + (j * j - j) / twoSigma2 + logE1;
      // Negligible terms are skipped: for large σ one half of the series has terms near e^(−10^15)
      // whose logs carry rounding errors far larger than their differences, so subtracting them
      // failed ("result would be negative") although they cannot change A_α = A0 + A1 ≥ 1.
      if (logS0 > LOG_NEGLIGIBLE) {
        logA0 = coefPositive ? logAdd(logA0, logS0) : logSub(logA0, logS0);
      }
      if (logS1 > LOG_NEGLIGIBLE) {
        logA1 = coefPositive ? logAdd(logA1, logS1) : logSub(logA1, logS1);
      }
      if (Math.max(logS0, logS1) < -30) {
        break;
      }
      if (i > alpha + 1_000_000) { // the terms collapse just past i = α (MAX_ORDER bounds α)
        throw new ArithmeticException("fractional RDP series did not converge for alpha=" + alpha);
      }
    }
    return logAdd(logA0, logA1);
  }

  static double logAdd(double a, double b) {
    double hi = Math.max(a, b);
    double lo = Math.min(a, b);
    if (hi == Double.NEGATIVE_INFINITY) {
      return hi;
    }
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /** log(e^a − e^b) for a ≥ b. */
  static double logSub(double a, double b) {
    if (b > a) {
      throw new ArithmeticException("logSub: result would be negative");
    }
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    if (a == b) {
      return Double.NEGATIVE_INFINITY;
    }
    double d = b - a;
    return a + Math.log(-Math.expm1(d));
  }

  /** ln erfc(x), accurate in the far tail where erfc underflows. */
  static double logErfc(double x) {
    if (x < 25) {
      // Commons Math computes erfc(x) = Q(1/2, x²) by continued fraction: relatively accurate.
      return Math.log(org.apache.commons.math3.special.Erf.erfc(x));
    }
    // Asymptotic series erfc(x) ~ e^{−x²}/(x√π) Σ (−1)^n (2n−1)!!/(2x²)^n; at x ≥ 25 eight terms
    // are far below double precision.
    double inv = 1 / (2 * x * x);
    double term = 1;
    double sum = 1;
    for (int n = 1; n <= 8; n++) {
      term *= -(2 * n - 1) * inv;
      sum += term;
    }
    return -x * x - Math.log(x) - 0.5 * Math.log(Math.PI) + Math.log(sum);
  }
}
