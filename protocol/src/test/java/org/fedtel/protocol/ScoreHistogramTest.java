package org.fedtel.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ScoreHistogramTest {
  static final int BINS = ScoreHistogram.DEFAULT_BINS;
  static final double BOUND = ScoreHistogram.DEFAULT_BOUND;

  static double[] scores(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] s = new double[n];
    for (int i = 0; i < n; i++) {
      s[i] = Math.exp(r.nextGaussian() - 1); // squared errors: positive, skewed
    }
    return s;
  }

  static double exactPercentile(double[] scores, double p) {
    double[] sorted = scores.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.ceil(p / 100 * sorted.length) - 1];
  }

  @Test
  void exactCountsGiveTheThresholdInTheBinOfThePooledPercentile() {
    double[] a = scores(3000, 1);
    double[] b = scores(1000, 2);
    double[] sum = ScoreHistogram.contribution(a, BINS, BOUND);
    double[] cb = ScoreHistogram.contribution(b, BINS, BOUND);
    for (int i = 0; i < BINS; i++) {
      sum[i] += cb[i];
    }
    double[] pooled = new double[4000];
    System.arraycopy(a, 0, pooled, 0, 3000);
    System.arraycopy(b, 0, pooled, 3000, 1000);
    double exact = exactPercentile(pooled, 99);
    double t = ScoreHistogram.threshold(sum, BOUND, 99);
    assertEquals(ScoreHistogram.bin(exact, BINS, BOUND), ScoreHistogram.bin(t, BINS, BOUND), "threshold " + t + ", exact " + exact);
    long above = Arrays.stream(pooled).filter(s -> s > t).count();
    assertTrue(above >= 20 && above <= 60, above + " of 4000 windows above the threshold");
  }

  /**
   * Under the statistics rounds' noise (4 sites, z = 3, sensitivity 1) the threshold stays within a factor e^0.5 (1.65) of the
   * pooled 99th percentile in 95 % of trials; the negative control, reading negative noisy counts as 0, adds noise
   * mass to the empty bins above the percentile, pushes the threshold up and fails that criterion, which is why
   * the decoder sums counts as they are.
   */
  @Test
  void underNoiseTheThresholdStaysNearThePercentileAndClampingWouldNot() {
    double[] pooled = scores(8000, 3);
    double exact = exactPercentile(pooled, 99);
    SplittableRandom r = new SplittableRandom(4);
    double sigma = 3 * Math.sqrt(4);
    int near = 0;
    int clampedNear = 0;
    for (int trial = 0; trial < 200; trial++) {
      double[] sum = ScoreHistogram.contribution(pooled, BINS, BOUND);
      double[] clamped = new double[BINS];
      for (int i = 0; i < BINS; i++) {
        sum[i] += sigma * r.nextGaussian();
        clamped[i] = Math.max(0, sum[i]);
      }
      double t = ScoreHistogram.threshold(sum, BOUND, 99);
      double tc = ScoreHistogram.threshold(clamped, BOUND, 99);
      near += Math.abs(Math.log(t / exact)) < 0.5 ? 1 : 0;
      clampedNear += Math.abs(Math.log(tc / exact)) < 0.5 ? 1 : 0;
    }
    assertTrue(near >= 190, near + " of 200 noisy thresholds within a factor e^0.5 of the exact percentile " + exact);
    // The negative control must fail the criterion the decoder passes.
    assertTrue(clampedNear < 190, "negative control: clamping kept " + clampedNear + " of 200 thresholds near the percentile");
  }

  @Test
  void binsCoverEveryScore() {
    assertEquals(0, ScoreHistogram.bin(0, BINS, BOUND));
    assertEquals(0, ScoreHistogram.bin(-1, BINS, BOUND));
    assertEquals(BINS - 1, ScoreHistogram.bin(Double.NaN, BINS, BOUND));
    assertEquals(BINS - 1, ScoreHistogram.bin(Double.POSITIVE_INFINITY, BINS, BOUND));
    assertEquals(BINS - 1, ScoreHistogram.bin(1e9, BINS, BOUND));
    assertEquals(1.0, ScoreHistogram.sensitivity(), 0);
  }

  @Test
  void badSumsAreRefusedWithTheReason() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ScoreHistogram.threshold(new double[] {-5, 3, 1}, BOUND, 99));
    assertTrue(e.getMessage().contains("too few for the noise"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ScoreHistogram.threshold(new double[] {5, Double.NaN}, BOUND, 99));
    assertTrue(e.getMessage().contains("count 1 is not finite"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ScoreHistogram.threshold(new double[] {5, 5}, BOUND, 100));
    assertThrows(IllegalArgumentException.class, () -> ScoreHistogram.threshold(new double[] {5}, BOUND, 99));
  }
}
