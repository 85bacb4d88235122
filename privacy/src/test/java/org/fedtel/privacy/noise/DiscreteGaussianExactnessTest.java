package org.fedtel.privacy.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fast acceptance test (double approximation with an error bound, integers only when
 * undecided) must make exactly the decisions of the integer-only reference on the same random
 * digits: same seed, same samples, draw for draw.
 */
class DiscreteGaussianExactnessTest {
  private static long[] samples(DiscreteGaussian g, int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = g.sample();
    }
    return out;
  }

  private static void same(BigInteger num, BigInteger den, long seed, int n) {
    long[] fast = samples(new DiscreteGaussian(new SplittableRandom(seed), num, den, false), n);
    long[] exact = samples(new DiscreteGaussian(new SplittableRandom(seed), num, den, true), n);
    assertArrayEquals(exact, fast, "sigma^2 = " + num + "/" + den);
  }

  private static BigInteger[] fraction(double sigma) {
    BigDecimal s = new BigDecimal(sigma);
    BigDecimal s2 = s.multiply(s);
    return new BigInteger[] {s2.unscaledValue(), BigInteger.TEN.pow(Math.max(0, s2.scale()))};
  }

  @Test
  void fastPathDecidesExactlyAsTheIntegerReference() {
    double[] sigmas = {0.3, 1.0, 3.7, 40.5, 1000.0, 123456.789};
    for (int i = 0; i < sigmas.length; i++) {
      BigInteger[] f = fraction(sigmas[i]);
      same(f[0], f[1], 100 + i, 20_000);
    }
    // sigma^2 as a 17-digit decimal fraction, the form distributed DP configures.
    same(new BigInteger("12345678901234567"), BigInteger.TEN.pow(11), 7, 20_000);
    // sigma^2 exactly an integer square, so that gamma hits integers exactly.
    same(BigInteger.valueOf(16), BigInteger.ONE, 8, 50_000);
  }

  @Test
  void negativeControlADifferentStreamGivesDifferentSamples() {
    BigInteger[] f = fraction(3.7);
    long[] a = samples(new DiscreteGaussian(new SplittableRandom(1), f[0], f[1], false), 1000);
    long[] b = samples(new DiscreteGaussian(new SplittableRandom(2), f[0], f[1], true), 1000);
    assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
  }
}
