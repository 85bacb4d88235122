package org.fedtel.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RoundStatisticsTest {
  @Test
  void sumsOfEncodedStatisticsDecodeToTheMeans() {
    RoundStatistics a = new RoundStatistics(0.5, true, 0.1, 0.2, 0.0);
    RoundStatistics b = new RoundStatistics(9.0, true, 0.3, 0.0, 0.1); // loss above the bound counts as the bound
    RoundStatistics c = RoundStatistics.trainingOnly(1.5);
    double[] sum = new double[RoundStatistics.SIZE + 2];
    double[] one = new double[RoundStatistics.SIZE + 2];
    for (RoundStatistics s : new RoundStatistics[] {a, b, c}) {
      s.encode(4.0, one, 2);
      for (int i = 0; i < sum.length; i++) {
        sum[i] += one[i];
      }
    }
    Map<String, Double> m = RoundStatistics.metrics(sum, 2, 3, 4.0);
    assertEquals((0.5 + 4.0 + 1.5) / 3, m.get("train_loss"), 1e-12);
    assertEquals(2, m.get("val_sites"), 1e-12);
    double tp = 0.2;
    double fp = 0.1;
    double fn = 0.05;
    assertEquals(tp / (tp + fp), m.get("val_precision"), 1e-12);
    assertEquals(tp / (tp + fn), m.get("val_recall"), 1e-12);
    assertEquals(2 * tp / (2 * tp + fp + fn), m.get("val_f1"), 1e-12);
  }

  @Test
  void withoutValidationSitesThereAreNoValidationMetrics() {
    double[] sum = new double[RoundStatistics.SIZE];
    RoundStatistics.trainingOnly(0.25).encode(1.0, sum, 0);
    Map<String, Double> m = RoundStatistics.metrics(sum, 0, 1, 1.0);
    assertEquals(0.25, m.get("train_loss"), 1e-12);
    assertFalse(m.containsKey("val_f1"));
  }

  @Test
  void theEncodedNormStaysWithinTheDistributedShare() {
    double[] v = new double[RoundStatistics.SIZE];
    // The largest possible vector: loss at the bound, validated, all windows true positives.
    new RoundStatistics(100, true, 1, 0, 0).encode(2.0, v, 0);
    double scale = RoundStatistics.distributedScale(0.25, 3.0);
    double sq = 0;
    for (double x : v) {
      sq += x * scale * x * scale;
    }
    assertTrue(Math.sqrt(sq) <= 0.25 * 3.0 + 1e-12, "norm " + Math.sqrt(sq));
    assertEquals(0.25 * 3.0, Math.sqrt(sq), 1e-12, "the bound is tight");
  }

  @Test
  void noisyMeansAreClampedToTheRangeOfTheTrueValues() {
    // Sums as distributed DP noise can leave them: a negative loss sum, more validated sites than survivors.
    double[] sum = {-0.7, 5.2, 0.4, -0.1, 9.0};
    Map<String, Double> m = RoundStatistics.metrics(sum, 0, 4, 2.0);
    assertEquals(0, m.get("train_loss"));
    assertEquals(4, m.get("val_sites"));
    assertEquals(1, m.get("val_precision"), 1e-12, "fp clamped to 0");
    sum[0] = 9;
    assertEquals(2.0, RoundStatistics.metrics(sum, 0, 4, 2.0).get("train_loss"));
  }

  @Test
  void badStatisticsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> RoundStatistics.trainingOnly(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> RoundStatistics.trainingOnly(-1));
    assertThrows(IllegalArgumentException.class, () -> new RoundStatistics(1, true, 0.6, 0.6, 0));
    assertThrows(IllegalArgumentException.class, () -> new RoundStatistics(1, true, -0.1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new RoundStatistics(1, false, 0.1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> RoundStatistics.trainingOnly(1).encode(0, new double[5], 0));
    assertThrows(IllegalArgumentException.class, () -> RoundStatistics.metrics(new double[5], 0, 0, 1));
  }
}
