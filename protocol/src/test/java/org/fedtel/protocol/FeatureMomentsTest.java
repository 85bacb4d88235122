package org.fedtel.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FeatureMomentsTest {
  /** Three sites' windows of 3 features spanning orders of magnitude, as telemetry does. */
  static double[][][] sites() {
    SplittableRandom r = new SplittableRandom(5);
    double[][][] sites = new double[3][][];
    for (int s = 0; s < 3; s++) {
      sites[s] = new double[100 + 50 * s][3];
      for (double[] w : sites[s]) {
        w[0] = Math.exp(10 + s + 0.5 * r.nextGaussian()); // bytes per second
        w[1] = 0.3 + 0.1 * r.nextGaussian(); // a utilisation fraction
        w[2] = -Math.exp(1 + r.nextGaussian()); // a negative rate
      }
    }
    return sites;
  }

  @Test
  void theTwoRoundsGiveThePooledMeanAndDeviationOfTheSignedLogValues() {
    double[][][] sites = sites();
    double[] meanSum = new double[FeatureMoments.length(3)];
    for (double[][] s : sites) {
      double[] c = FeatureMoments.meanContribution(s, 3, FeatureMoments.DEFAULT_BOUND);
      for (int i = 0; i < c.length; i++) {
        meanSum[i] += c[i];
      }
    }
    double[] means = FeatureMoments.means(meanSum, 3, FeatureMoments.DEFAULT_BOUND);
    double[] devSum = new double[FeatureMoments.length(3)];
    for (double[][] s : sites) {
      double[] c = FeatureMoments.deviationContribution(s, means, FeatureMoments.DEFAULT_DEVIATION_BOUND);
      for (int i = 0; i < c.length; i++) {
        devSum[i] += c[i];
      }
    }
    FeatureMoments.Fit fit = FeatureMoments.fit(means, devSum, FeatureMoments.DEFAULT_DEVIATION_BOUND);
    // The reference: pooled population mean and deviation of sign(x) log1p(|x|), computed directly.
    for (int f = 0; f < 3; f++) {
      double n = 0;
      double sum = 0;
      for (double[][] s : sites) {
        for (double[] w : s) {
          sum += Math.signum(w[f]) * Math.log1p(Math.abs(w[f]));
          n++;
        }
      }
      double mean = sum / n;
      double ss = 0;
      for (double[][] s : sites) {
        for (double[] w : s) {
          double d = Math.signum(w[f]) * Math.log1p(Math.abs(w[f])) - mean;
          ss += d * d;
        }
      }
      assertEquals(mean, fit.offset()[f], 1e-9, "mean of feature " + f);
      assertEquals(Math.max(FeatureMoments.MIN_SCALE, Math.sqrt(ss / n)), fit.scale()[f], 1e-9, "deviation of feature " + f);
    }
    assertEquals(100 + 150 + 200, fit.windows(), 0);
  }

  @Test
  void valuesBeyondTheBoundsCountAsTheBoundAndNaNAsZero() {
    double[][] w = {{Double.POSITIVE_INFINITY, Double.NaN, -1e300}};
    double[] c = FeatureMoments.meanContribution(w, 3, 20);
    assertArrayEquals(new double[] {1, 0, -1, 1}, c, 0);
    double[] d = FeatureMoments.deviationContribution(w, new double[] {0, 0, 0}, 4);
    assertArrayEquals(new double[] {1, 0, 1, 1}, d, 0);
    // Each window moves each of the F + 1 sums by at most 1: the stated sensitivity.
    assertEquals(2.0, FeatureMoments.sensitivity(3), 0);
  }

  @Test
  void noiseThatOvershootsTheBoundsIsClampedAndAConstantFeatureGetsTheFloor() {
    double[] means = FeatureMoments.means(new double[] {500, -500, 0, 100}, 3, 20);
    assertArrayEquals(new double[] {20, -20, 0}, means, 0);
    FeatureMoments.Fit fit = FeatureMoments.fit(means, new double[] {-3, 0, 250, 100}, 4);
    assertArrayEquals(new double[] {FeatureMoments.MIN_SCALE, FeatureMoments.MIN_SCALE, 4}, fit.scale(), 0);
  }

  @Test
  void badSumsAreRefusedWithTheReason() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FeatureMoments.means(new double[] {1, 2, 3, 0.5}, 3, 20));
    assertTrue(e.getMessage().contains("window count is 0.5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FeatureMoments.means(new double[] {1, 2, 3}, 3, 20));
    assertTrue(e.getMessage().contains("expected 4"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FeatureMoments.means(new double[] {1, Double.NaN, 3, 9}, 3, 20));
    assertTrue(e.getMessage().contains("sum[1] is not finite"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> FeatureMoments.meanContribution(new double[][] {{1, 2}}, 3, 20));
    assertTrue(e.getMessage().contains("2 features, expected 3"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FeatureMoments.meanContribution(new double[0][], 3, Double.NaN));
    e = assertThrows(IllegalArgumentException.class, () -> FeatureMoments.Fit.fromProto(
        org.fedtel.protocol.v1.FeatureScaling.newBuilder().addOffset(0).addScale(0).build()));
    assertTrue(e.getMessage().contains("scale 0.0"), e.getMessage());
  }

  @Test
  void aFitSurvivesItsWireForm() {
    FeatureMoments.Fit fit = new FeatureMoments.Fit(new double[] {1.5, -2}, new double[] {0.5, 3}, 7);
    FeatureMoments.Fit back = FeatureMoments.Fit.fromProto(fit.toProto());
    assertArrayEquals(fit.offset(), back.offset(), 0);
    assertArrayEquals(fit.scale(), back.scale(), 0);
  }
}
