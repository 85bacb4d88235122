package org.fedtel.privacy.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.apache.commons.math3.distribution.LaplaceDistribution;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

/** Chi-square goodness of fit of each sampler against its exact distribution, with negative controls. */
class SamplerDistributionTest {
  private static final int N = 100_000;

  private static RandomGenerator rng(long seed) {
    return new SplittableRandom(seed);
  }

  /** Chi-square p-value of integer samples against pmf on [−k, k] with both tails pooled. */
  private static double pValueInteger(long[] samples, java.util.function.LongToDoubleFunction pmf, int k) {
    double[] expected = new double[2 * k + 3];
    long[] observed = new long[2 * k + 3];
    double inner = 0;
    for (int x = -k; x <= k; x++) {
      expected[x + k + 1] = pmf.applyAsDouble(x);
      inner += expected[x + k + 1];
    }
    double tail = (1 - inner) / 2;
    expected[0] = tail;
    expected[2 * k + 2] = tail;
    for (long s : samples) {
      int i = s < -k ? 0 : s > k ? 2 * k + 2 : (int) s + k + 1;
      observed[i]++;
    }
    for (int i = 0; i < expected.length; i++) {
      expected[i] *= samples.length;
    }
    return new ChiSquareTest().chiSquareTest(expected, observed);
  }

  /** Chi-square p-value of continuous samples against a CDF on `bins` quantile buckets. */
  private static double pValueContinuous(double[] samples, org.apache.commons.math3.distribution.RealDistribution d, int bins) {
    double[] expected = new double[bins];
    long[] observed = new long[bins];
    double[] edges = new double[bins - 1];
    for (int i = 1; i < bins; i++) {
      edges[i - 1] = d.inverseCumulativeProbability((double) i / bins);
    }
    java.util.Arrays.fill(expected, (double) samples.length / bins);
    for (double s : samples) {
      int i = java.util.Arrays.binarySearch(edges, s);
      observed[i >= 0 ? i + 1 : -i - 1]++;
    }
    return new ChiSquareTest().chiSquareTest(expected, observed);
  }

  private static double discreteGaussianPmf(double sigma, long x) {
    double z = 0;
    for (int i = -2000; i <= 2000; i++) {
      z += Math.exp(-(double) i * i / (2 * sigma * sigma));
    }
    return Math.exp(-(double) x * x / (2 * sigma * sigma)) / z;
  }

  @Test
  void twoSidedGeometricMatchesDiscreteLaplace() {
    double lambda = 0.7;
    RandomGenerator r = rng(1);
    long[] s = new long[N];
    for (int i = 0; i < N; i++) {
      s[i] = Geometric.twoSided(r, lambda);
    }
    double c = (1 - Math.exp(-lambda)) / (1 + Math.exp(-lambda));
    assertTrue(pValueInteger(s, x -> c * Math.exp(-lambda * Math.abs(x)), 12) > 1e-3);
    double cWrong = (1 - Math.exp(-0.8)) / (1 + Math.exp(-0.8));
    assertTrue(pValueInteger(s, x -> cWrong * Math.exp(-0.8 * Math.abs(x)), 12) < 1e-6, "negative control");
  }

  @Test
  void discreteGaussianMatchesExactPmf() {
    for (double sigma : new double[] {0.8, 3.0, 10.5}) {
      DiscreteGaussian dg = new DiscreteGaussian(rng(2), sigma);
      long[] s = new long[N];
      for (int i = 0; i < N; i++) {
        s[i] = dg.sample();
      }
      int k = (int) Math.ceil(3 * sigma);
      assertTrue(pValueInteger(s, x -> discreteGaussianPmf(sigma, x), k) > 1e-3, "sigma=" + sigma);
      double wrong = sigma * 1.05;
      assertTrue(pValueInteger(s, x -> discreteGaussianPmf(wrong, x), k) < 1e-6, "negative control sigma=" + sigma);
    }
  }

  @Test
  void discreteGaussianVarianceIsCloseToSigmaSquared() {
    DiscreteGaussian dg = new DiscreteGaussian(rng(3), 1000.0);
    double sum = 0;
    double sq = 0;
    for (int i = 0; i < 20_000; i++) {
      long x = dg.sample();
      sum += x;
      sq += (double) x * x;
    }
    double mean = sum / 20_000;
    assertEquals(0, mean, 4 * 1000 / Math.sqrt(20_000));
    assertEquals(1000.0, Math.sqrt(sq / 20_000 - mean * mean), 20);
  }

  @Test
  void secureGaussianMatchesNormal() {
    GaussianNoise g = new GaussianNoise(rng(4));
    double[] s = new double[N];
    for (int i = 0; i < N; i++) {
      s[i] = g.addNoise(5.0, 2.0);
    }
    assertTrue(pValueContinuous(s, new NormalDistribution(null, 5.0, 2.0), 50) > 1e-3);
    assertTrue(pValueContinuous(s, new NormalDistribution(null, 5.0, 2.1), 50) < 1e-6, "negative control");
  }

  @Test
  void secureLaplaceMatchesLaplace() {
    LaplaceNoise l = new LaplaceNoise(rng(5));
    double[] s = new double[N];
    for (int i = 0; i < N; i++) {
      s[i] = l.addNoise(-3.0, 2.0, 1.0);
    }
    assertTrue(pValueContinuous(s, new LaplaceDistribution(null, -3.0, 2.0), 50) > 1e-3);
    assertTrue(pValueContinuous(s, new LaplaceDistribution(null, -3.0, 2.1), 50) < 1e-6, "negative control");
  }

  @Test
  void outputsLieOnThePowerOfTwoGrid() {
    LaplaceNoise l = new LaplaceNoise(rng(6));
    double g = LaplaceNoise.granularity(1.0, 0.5);
    assertEquals(0x1p-39, g);
    for (int i = 0; i < 1000; i++) {
      double y = l.addNoise(0.1234567, 1.0, 0.5);
      assertEquals(Math.rint(y / g), y / g, 0.0);
    }
    GaussianNoise gn = new GaussianNoise(rng(7));
    double gg = GaussianNoise.granularity(3.0);
    for (int i = 0; i < 1000; i++) {
      double y = gn.addNoise(0.1234567, 3.0);
      assertEquals(Math.rint(y / gg), y / gg, 0.0);
    }
  }

  @Test
  void sameSeedSameNoise() {
    GaussianNoise a = new GaussianNoise(rng(9));
    GaussianNoise b = new GaussianNoise(rng(9));
    for (int i = 0; i < 100; i++) {
      assertEquals(a.addNoise(1.0, 1.0), b.addNoise(1.0, 1.0));
    }
  }

  @Test
  void rejectsBadInput() {
    LaplaceNoise l = new LaplaceNoise(rng(1));
    GaussianNoise g = new GaussianNoise(rng(1));
    assertThrows(IllegalArgumentException.class, () -> l.addNoise(Double.NaN, 1.0, 1.0));
    assertThrows(IllegalArgumentException.class, () -> l.addNoise(1.0, 0.0, 1.0));
    assertThrows(IllegalArgumentException.class, () -> l.addNoise(1.0, 1.0, Double.POSITIVE_INFINITY));
    assertThrows(IllegalArgumentException.class, () -> g.addNoise(Double.POSITIVE_INFINITY, 1.0));
    assertThrows(IllegalArgumentException.class, () -> g.addNoise(1.0, -1.0));
    assertThrows(IllegalArgumentException.class, () -> g.addNoiseInPlace(new double[] {1, Double.NaN}, 1.0));
    assertThrows(IllegalArgumentException.class, () -> new DiscreteGaussian(rng(1), 0.0));
  }
}
