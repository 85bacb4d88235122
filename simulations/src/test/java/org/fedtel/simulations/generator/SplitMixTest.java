package org.fedtel.simulations.generator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SplitMixTest {
  /** Standard normal CDF by the Abramowitz-Stegun 7.1.26 erf approximation (error < 1.5e-7). */
  static double phi(double x) {
    double z = Math.abs(x) / Math.sqrt(2);
    double t = 1 / (1 + 0.3275911 * z);
    double erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592)
        * t * Math.exp(-z * z);
    return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
  }

  /** Kolmogorov-Smirnov distance of n draws from the standard normal. */
  static double ksDistance(java.util.function.DoubleSupplier draw, int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = draw.getAsDouble();
    }
    java.util.Arrays.sort(x);
    double d = 0;
    for (int i = 0; i < n; i++) {
      double f = phi(x[i]);
      d = Math.max(d, Math.max(Math.abs(f - (double) i / n), Math.abs(f - (double) (i + 1) / n)));
    }
    return d;
  }

  @Test
  void zigguratIsStandardNormal() {
    int n = 200_000;
    SplitMix r = new SplitMix(123);
    double d = ksDistance(r::nextGaussian, n);
    // 1.63 / sqrt(n) is the 1 % critical value of the KS statistic.
    assertTrue(d < 1.63 / Math.sqrt(n), "KS distance " + d);
    // The tails (beyond the ziggurat's base strip at 3.44) carry the right mass: P(|Z| > 3.5) = 4.65e-4.
    SplitMix t = new SplitMix(5);
    int tail = 0;
    for (int i = 0; i < 1_000_000; i++) {
      tail += Math.abs(t.nextGaussian()) > 3.5 ? 1 : 0;
    }
    assertEquals(465, tail, 4 * Math.sqrt(465));
  }

  @Test
  void negativeControlKsRejectsAScaledNormal() {
    SplitMix r = new SplitMix(123);
    int n = 200_000;
    double d = ksDistance(() -> 1.02 * r.nextGaussian(), n);
    assertFalse(d < 1.63 / Math.sqrt(n), "a normal with sd 1.02 must be rejected, KS distance " + d);
  }

  @Test
  void knownAnswersFixTheStream() {
    // SplitMix64 with the state initialised to mix(seed) and incremented by the golden gamma: the
    // first outputs for seed 0 are mix(mix(0) + gamma), ... (checked against a direct computation).
    SplitMix r = new SplitMix(0);
    long state = SplitMix.mix(0);
    for (int i = 0; i < 5; i++) {
      state += 0x9E3779B97F4A7C15L;
      assertEquals(SplitMix.mix(state), r.nextLong());
    }
    // The public SplitMix64 test vector: mix(0x9E3779B97F4A7C15) = 0xE220A8397B1DCDAF.
    assertEquals(0xE220A8397B1DCDAFL, SplitMix.mix(0x9E3779B97F4A7C15L));
    // Forks are independent of each other and do not advance the parent.
    SplitMix a = new SplitMix(9);
    long f1 = a.fork(1).nextLong();
    long f2 = a.fork(2).nextLong();
    assertTrue(f1 != f2);
    assertEquals(f1, a.fork(1).nextLong());
    assertEquals(new SplitMix(9).nextLong(), a.nextLong());
  }
}
