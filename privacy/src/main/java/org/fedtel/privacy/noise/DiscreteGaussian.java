package org.fedtel.privacy.noise;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Exact sampler of the discrete Gaussian N_ℤ(0, σ²), P(x) ∝ exp(−x²/(2σ²)) for x ∈ ℤ, following
 * Canonne, Kamath &amp; Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020),
 * Algorithms 1–3: Bernoulli(exp(−γ)) from Bernoulli(rational) draws, discrete Laplace by rejection,
 * discrete Gaussian by rejection from the discrete Laplace with t = ⌊σ⌋ + 1. All arithmetic is on
 * integers (σ² is held as an exact fraction), so the output distribution is exact given a uniform
 * source. Adding it to integers with sensitivity Δ gives Δ²/(2σ²)-zCDP (ibid., Thm 4).
 *
 * <p>Speed without giving up exactness: a Bernoulli(p) draw compares a uniform U = 0.u₁u₂… (base
 * 2⁶⁴ digits, drawn lazily) with p. The Gaussian rejection step knows p = γ/k only as a large
 * fraction, so it first compares the first digit u₁ with a double approximation of p and a proven
 * error bound; only when U's first-digit interval [u₁, u₁+1)/2⁶⁴ is not clearly on one side of p
 * (probability about 2⁻⁴⁰) does it compute p's digits exactly with integers. The decision is the
 * same function of the random digits either way ({@code DiscreteGaussianExactnessTest} checks the
 * fast path against the integer-only path draw for draw).
 */
public final class DiscreteGaussian {
  private static final BigInteger TWO = BigInteger.TWO;
  private final RandomGenerator random;
  private final BigInteger sigma2Num;
  private final BigInteger sigma2Den;
  private final long t;
  private final BigInteger bigT;
  /** den·t and 2·num·den·t², the fixed parts of γ's exact fraction. */
  private final BigInteger denT;
  private final BigInteger gammaDen;
  /** σ²/t and 1/(2σ²) as doubles, for the approximate acceptance test. */
  private final double sigma2OverT;
  private final double halfInverseSigma2;
  /** Tests only: decide every draw with integers (the reference the fast path must agree with). */
  private final boolean exactOnly;

  /** A sampler with variance parameter σ² = sigma² exactly (the double σ's exact binary value). */
  public DiscreteGaussian(RandomGenerator random, double sigma) {
    this(random, squareAsFraction(sigma)[0], squareAsFraction(sigma)[1]);
  }

  /** A sampler with σ² = num/den exactly. */
  public DiscreteGaussian(RandomGenerator random, BigInteger sigma2Num, BigInteger sigma2Den) {
    this(random, sigma2Num, sigma2Den, false);
  }

  /** With {@code exactOnly}, every Bernoulli draw is decided with integers (tests). */
  DiscreteGaussian(RandomGenerator random, BigInteger sigma2Num, BigInteger sigma2Den, boolean exactOnly) {
    this.exactOnly = exactOnly;
    this.random = Objects.requireNonNull(random, "random");
    if (sigma2Num.signum() <= 0 || sigma2Den.signum() <= 0) {
      throw new IllegalArgumentException("sigma^2 must be a positive fraction, got " + sigma2Num + "/" + sigma2Den);
    }
    BigInteger g = sigma2Num.gcd(sigma2Den);
    this.sigma2Num = sigma2Num.divide(g);
    this.sigma2Den = sigma2Den.divide(g);
    BigInteger floorSigma = this.sigma2Num.divide(this.sigma2Den).sqrt();
    if (floorSigma.bitLength() > 61) {
      throw new IllegalArgumentException("sigma too large for a long-valued sampler");
    }
    this.t = floorSigma.longValueExact() + 1;
    this.bigT = BigInteger.valueOf(t);
    this.denT = this.sigma2Den.multiply(bigT);
    this.gammaDen = TWO.multiply(this.sigma2Num).multiply(this.sigma2Den).multiply(bigT).multiply(bigT);
    java.math.MathContext mc = java.math.MathContext.DECIMAL128;
    BigDecimal sigma2 = new BigDecimal(this.sigma2Num).divide(new BigDecimal(this.sigma2Den), mc);
    this.sigma2OverT = sigma2.divide(new BigDecimal(t), mc).doubleValue();
    this.halfInverseSigma2 = BigDecimal.ONE.divide(sigma2.multiply(BigDecimal.valueOf(2)), mc).doubleValue();
  }

  private static BigInteger[] squareAsFraction(double sigma) {
    if (!(sigma > 0) || Double.isInfinite(sigma)) {
      throw new IllegalArgumentException("sigma must be finite and > 0, got " + sigma);
    }
    BigDecimal s = new BigDecimal(sigma); // exact binary value
    BigDecimal s2 = s.multiply(s);
    if (s2.scale() <= 0) {
      return new BigInteger[] {s2.toBigIntegerExact(), BigInteger.ONE};
    }
    return new BigInteger[] {s2.unscaledValue(), BigInteger.TEN.pow(s2.scale())};
  }

  /** One sample. */
  public long sample() {
    while (true) {
      long y = discreteLaplace();
      if (acceptGaussian(Math.abs(y))) {
        return y;
      }
    }
  }

  /**
   * Bernoulli(exp(−γ)) with γ = (|y| − σ²/t)² / (2σ²) = (|y|·den·t − num)² / (2·num·den·t²)
   * (Algorithm 3's acceptance step, by Algorithm 1).
   */
  private boolean acceptGaussian(long ay) {
    Gamma g = new Gamma(ay);
    boolean atMostOne;
    long whole = 0;
    if (!exactOnly && g.approx + g.error <= 1) {
      atMostOne = true;
    } else if (!exactOnly && g.approx - g.error > 1 && Math.floor(g.approx - g.error) == Math.floor(g.approx + g.error)
        && g.approx + g.error < 0x1p62) {
      atMostOne = false;
      whole = (long) Math.floor(g.approx - g.error);
    } else {
      BigInteger[] qr = g.num().divideAndRemainder(g.den());
      atMostOne = g.num().compareTo(g.den()) <= 0;
      if (!atMostOne) {
        if (qr[0].bitLength() > 62) {
          return false; // exp(−γ) < exp(−2^62): indistinguishable from 0 for any source of randomness
        }
        whole = qr[0].longValueExact();
      }
    }
    if (atMostOne) {
      return lazyBernoulliExpNeg(g, 0);
    }
    for (long i = 0; i < whole; i++) {
      if (!bernoulliExpMinusOne()) {
        return false;
      }
    }
    return lazyBernoulliExpNeg(g, whole);
  }

  /** Bernoulli(exp(−(γ − whole))) for 0 ≤ γ − whole ≤ 1, Algorithm 1 with lazily compared draws. */
  private boolean lazyBernoulliExpNeg(Gamma g, long whole) {
    double frac = g.approx - whole;
    long k = 1;
    while (bernoulliFraction(frac / k, g.error / k, g, whole, k)) {
      k++;
    }
    return (k & 1) == 1;
  }

  /**
   * Bernoulli((γ − whole)/k), where {@code p} approximates it within {@code error}: decided on the
   * first random digit when it is clearly below or above p, else exactly.
   */
  private boolean bernoulliFraction(double p, double error, Gamma g, long whole, long k) {
    long u = random.nextLong();
    if (!exactOnly) {
      // (u >>> 11)·2^-53 is u/2^64 rounded down by less than 2^-53; the slack 2^-50 also covers the
      // width 2^-64 of u's interval and the rounding of p ± error.
      double lo = (u >>> 11) * 0x1p-53;
      if (lo + 0x1p-50 < p - error) {
        return true;
      }
      if (lo - 0x1p-50 > p + error) {
        return false;
      }
    }
    BigInteger num = g.num().subtract(g.den().multiply(BigInteger.valueOf(whole)));
    return lazyBelow(u, num, g.den().multiply(BigInteger.valueOf(k)));
  }

  /**
   * Whether U &lt; num/den for U uniform in [0, 1) whose first base-2^64 digit is {@code first}
   * and whose further digits are drawn as needed (exact: p's digits by long division).
   */
  private boolean lazyBelow(long first, BigInteger num, BigInteger den) {
    if (num.signum() <= 0) {
      return false;
    }
    if (num.compareTo(den) >= 0) {
      return true;
    }
    BigInteger r = num;
    long digit = first;
    while (true) {
      BigInteger[] qr = r.shiftLeft(64).divideAndRemainder(den);
      int c = Long.compareUnsigned(digit, qr[0].longValue()); // the quotient is below 2^64 since r < den
      if (c != 0) {
        return c < 0;
      }
      r = qr[1];
      if (r.signum() == 0) {
        return false; // p ends here and U is at least p
      }
      digit = random.nextLong();
    }
  }

  /** γ of one candidate: a double approximation with a proven error bound, and the exact fraction on demand. */
  private final class Gamma {
    final long ay;
    final double approx;
    final double error;
    private BigInteger num;
    private BigInteger den;

    Gamma(long ay) {
      this.ay = ay;
      if (ay >= (1L << 52) || exactOnly) {
        approx = 0;
        error = Double.POSITIVE_INFINITY; // never decided by the approximation
        return;
      }
      double d = ay - sigma2OverT;
      approx = d * d * halfInverseSigma2;
      // sigma2OverT and halfInverseSigma2 are within a few units of 2^-53 (relative) of their exact
      // values and each operation adds one more; the absolute error of approx is therefore below
      // 16·2^-53·(m²/(2σ²) + γ) with m = max(|y|, σ²/t). 2^-40 leaves a wide margin.
      double m = Math.max(ay, sigma2OverT);
      error = 0x1p-40 * (approx + m * m * halfInverseSigma2) + Double.MIN_NORMAL;
    }

    BigInteger num() {
      if (num == null) {
        BigInteger a = BigInteger.valueOf(ay).multiply(denT).subtract(sigma2Num);
        num = a.multiply(a);
      }
      return num;
    }

    BigInteger den() {
      if (den == null) {
        den = gammaDen;
      }
      return den;
    }
  }

  /** Bernoulli(exp(−1)) by Algorithm 1: Bernoulli(1/k) draws while they succeed. */
  private boolean bernoulliExpMinusOne() {
    long k = 1;
    while (random.nextLong(k) < 1) {
      k++;
    }
    return (k & 1) == 1;
  }

  /** Adds an independent sample to every element, in place (wrapping long arithmetic). */
  public void addTo(long[] values) {
    for (int i = 0; i < values.length; i++) {
      values[i] += sample();
    }
  }

  /** Discrete Laplace with scale t: P(y) ∝ exp(−|y|/t) (Algorithm 2 with s = 1). */
  private long discreteLaplace() {
    while (true) {
      long u = random.nextLong(t);
      if (!bernoulliExpNegBelowOne(u)) {
        continue;
      }
      long v = 0;
      while (bernoulliExpMinusOne()) {
        v++;
      }
      long x = u + t * v;
      boolean negative = random.nextBoolean();
      if (negative && x == 0) {
        continue;
      }
      return negative ? -x : x;
    }
  }

  /** Bernoulli(exp(−u/t)) for 0 ≤ u &lt; t by Algorithm 1, in long arithmetic while t·k fits. */
  private boolean bernoulliExpNegBelowOne(long u) {
    long k = 1;
    while (true) {
      boolean success;
      if (k <= (Long.MAX_VALUE >> 2) / t) {
        success = random.nextLong(t * k) < u;
      } else {
        success = bernoulli(BigInteger.valueOf(u), bigT.multiply(BigInteger.valueOf(k)));
      }
      if (!success) {
        return (k & 1) == 1;
      }
      k++;
    }
  }

  /** Bernoulli(num/den) for 0 ≤ num ≤ den, by an exact uniform integer below den. */
  private boolean bernoulli(BigInteger num, BigInteger den) {
    return uniformBelow(den).compareTo(num) < 0;
  }

  private BigInteger uniformBelow(BigInteger bound) {
    int bits = bound.bitLength();
    if (bits <= 62) {
      return BigInteger.valueOf(random.nextLong(bound.longValue()));
    }
    int words = (bits + 63) / 64;
    byte[] bytes = new byte[words * 8];
    while (true) {
      for (int w = 0; w < words; w++) {
        long r = random.nextLong();
        for (int b = 0; b < 8; b++) {
          bytes[w * 8 + b] = (byte) (r >>> (8 * b));
        }
      }
      BigInteger candidate = new BigInteger(1, bytes);
      candidate = candidate.shiftRight(words * 64 - bits); // keep exactly `bits` uniform bits
      if (candidate.compareTo(bound) < 0) {
        return candidate;
      }
    }
  }
}
