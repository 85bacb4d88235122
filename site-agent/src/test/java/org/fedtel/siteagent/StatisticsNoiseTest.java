package org.fedtel.siteagent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.fedtel.protocol.FeatureMoments;
import org.junit.jupiter.api.Test;

/**
 * The statistics rounds' noise (SiteSession.addStatisticsNoise) is Gaussian with the std the round is
 * charged for, z·(Δ + g√d): checked on its mean, variance and tails, with a negative control — noise
 * 5 % too small, which would overstate the privacy — that the same checks must reject.
 */
class StatisticsNoiseTest {
  static final int N = 200_000;

  /** The checks: mean, variance and the mass beyond 2 std of N draws of noise on zeros, against sigma. */
  static boolean looksLike(double[] noise, double sigma) {
    double sum = 0;
    double sq = 0;
    int beyond = 0;
    for (double v : noise) {
      sum += v;
      sq += v * v;
      beyond += Math.abs(v) > 2 * sigma ? 1 : 0;
    }
    double n = noise.length;
    double mean = sum / n;
    double ratio = sq / n / (sigma * sigma);
    double tail = beyond / n; // 0.0455 for a Gaussian
    // 5 standard errors each: mean sigma/sqrt(n), variance ratio sqrt(2/n), tail sqrt(p(1-p)/n).
    return Math.abs(mean) < 5 * sigma / Math.sqrt(n)
        && Math.abs(ratio - 1) < 5 * Math.sqrt(2 / n)
        && Math.abs(tail - 0.0455) < 5 * Math.sqrt(0.0455 * 0.9545 / n);
  }

  @Test
  void theNoiseHasTheChargedStandardDeviation() {
    int features = 24;
    double z = 3;
    double sensitivity = FeatureMoments.sensitivity(features);
    double[] noise = new double[N];
    double sigma = SiteSession.addStatisticsNoise(noise, z, sensitivity, new SplittableRandom(11));
    // The grid term is ~1e-16 of sigma: the std is z times the sensitivity for all practical purposes.
    assertEquals(z * sensitivity, sigma, 1e-12 * sigma);
    assertTrue(looksLike(noise, sigma), "the noise does not look like N(0, " + sigma + "^2)");
  }

  @Test
  void negativeControlNoiseFivePercentTooSmallIsRejected() {
    double sigma = 3 * FeatureMoments.sensitivity(24);
    double[] noise = new double[N];
    SiteSession.addStatisticsNoise(noise, 3 * 0.95, FeatureMoments.sensitivity(24), new SplittableRandom(11));
    assertFalse(looksLike(noise, sigma), "noise of std 0.95 sigma passed the checks for sigma");
  }

  @Test
  void theSumsThemselvesAreKeptAndOnlyNoiseIsAdded() {
    double[] sums = new double[N];
    java.util.Arrays.fill(sums, 1000);
    double sigma = SiteSession.addStatisticsNoise(sums, 2, 1, new SplittableRandom(3));
    for (int i = 0; i < N; i++) {
      sums[i] -= 1000;
    }
    assertTrue(looksLike(sums, sigma));
  }
}
