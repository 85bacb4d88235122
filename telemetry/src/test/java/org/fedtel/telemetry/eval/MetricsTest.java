package org.fedtel.telemetry.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void scikitLearnDocumentationExamples() {
    // sklearn roc_auc_score / average_precision_score docstring examples
    double[] scores = {0.1, 0.4, 0.35, 0.8};
    boolean[] y = {false, false, true, true};
    assertEquals(0.75, Metrics.rocAuc(scores, y), 1e-15);
    assertEquals(0.8333333333333333, Metrics.averagePrecision(scores, y), 1e-15);
    assertEquals(0.5, Metrics.rocAuc(new double[] {0.5, 0.5}, new boolean[] {false, true}), 0);
    assertTrue(Double.isNaN(Metrics.rocAuc(new double[] {1, 2}, new boolean[] {true, true})));
  }

  @Test
  void rocAucEqualsTheSlowPairCount() {
    SplittableRandom r = new SplittableRandom(7);
    double[] s = new double[300];
    boolean[] y = new boolean[300];
    for (int i = 0; i < s.length; i++) {
      y[i] = r.nextInt(4) == 0;
      s[i] = r.nextInt(20) + (y[i] ? 3 : 0);
    }
    double wins = 0;
    long pairs = 0;
    for (int i = 0; i < s.length; i++) {
      for (int j = 0; j < s.length; j++) {
        if (y[i] && !y[j]) {
          pairs++;
          wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
        }
      }
    }
    assertEquals(wins / pairs, Metrics.rocAuc(s, y), 1e-12);
  }

  @Test
  void confusionRecallByTypeAndDelay() {
    Confusion c = Confusion.of(new boolean[] {true, true, false, false, true}, new boolean[] {true, false, true, false, true});
    assertEquals(new Confusion(2, 1, 1, 1), c);
    assertEquals(2.0 / 3, c.precision(), 1e-15);
    assertEquals(2.0 / 3, c.recall(), 1e-15);
    assertEquals(2.0 / 3, c.f1(), 1e-15);
    assertEquals(0.0, new Confusion(0, 0, 5, 0).f1());
    Map<String, Double> byType = Metrics.recallByType(new String[] {"memleak", "memleak", null, "cpuoccupy"},
        new boolean[] {true, false, true, false});
    assertEquals(Map.of("cpuoccupy", 0.0, "memleak", 0.5), byType);
    Metrics.DetectionDelay d = Metrics.detectionDelay(
        new String[] {"a", "a", "b", "a", "a", "b", "a", "a"},
        new long[] {0, 10, 10, 20, 30, 20, 40, 50},
        new String[] {null, "x", "x", "x", null, "x", "y", "y"},
        new boolean[] {false, false, false, true, false, false, false, false});
    // episodes: a@10-20 (detected at 20: delay 10), b@10-20 (missed), a@40-50 (missed)
    assertEquals(new Metrics.DetectionDelay(3, 1, 10.0, 10.0), d);
  }
}
