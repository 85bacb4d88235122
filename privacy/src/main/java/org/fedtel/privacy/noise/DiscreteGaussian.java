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
 */
public final class DiscreteGaussian {
  private static final BigInteger TWO = BigInteger.TWO;
  private final RandomGenerator random;
  private final BigInteger sigma2Num;
  private final BigInteger sigma2Den;
  private final long t;
  private final BigInteger bigT;

  /** A sampler with variance parameter σ² = sigma² exactly (the double σ's exact binary value). */
  public DiscreteGaussian(RandomGenerator random, double sigma) {
    this(random, squareAsFraction(sigma)[0], squareAsFraction(sigma)[1]);
  }

  /** A sampler with σ² = num/den exactly. */
  public DiscreteGaussian(RandomGenerator random, BigInteger sigma2Num, BigInteger sigma2Den) {
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
      // γ = (|y| − σ²/t)² / (2σ²) = (|y|·den·t − num)² / (2·num·den·t²)
      BigInteger a = BigInteger.valueOf(Math.abs(y)).multiply(sigma2Den).multiply(bigT).subtract(sigma2Num);
      BigInteger num = a.multiply(a);
      BigInteger den = TWO.multiply(sigma2Num).multiply(sigma2Den).multiply(bigT).multiply(bigT);
      if (bernoulliExpNeg(num, den)) {
        return y;
      }
    }
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
      if (!bernoulliExpNeg(BigInteger.valueOf(u), bigT)) {
        continue;
      }
      long v = 0;
      while (bernoulliExpNeg(BigInteger.ONE, BigInteger.ONE)) {
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

  /** Bernoulli(exp(−num/den)) for num/den ≥ 0 (Algorithm 1). */
  boolean bernoulliExpNeg(BigInteger num, BigInteger den) {
    if (num.compareTo(den) <= 0) {
      long k = 1;
      while (bernoulli(num, den.multiply(BigInteger.valueOf(k)))) {
        k++;
      }
      return (k & 1) == 1;
    }
    BigInteger[] qr = num.divideAndRemainder(den);
    for (BigInteger i = BigInteger.ZERO; i.compareTo(qr[0]) < 0; i = i.add(BigInteger.ONE)) {
      if (!bernoulliExpNeg(BigInteger.ONE, BigInteger.ONE)) {
        return false;
      }
    }
    return bernoulliExpNeg(qr[1], den);
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
