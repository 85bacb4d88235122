package org.fedtel.telemetry.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.fedtel.telemetry.io.TimeWindow;
import org.junit.jupiter.api.Test;

class NabScorerTest {
  private static final long MIN = 60_000;

  private static long[] minutes(int n) {
    long[] t = new long[n];
    for (int i = 0; i < n; i++) {
      t[i] = i * MIN;
    }
    return t;
  }

  private static boolean[] flags(int n, int... rows) {
    boolean[] f = new boolean[n];
    for (int r : rows) {
      f[r] = true;
    }
    return f;
  }

  /**
   * 20 rows, probation min(floor(0.15*20), 750) = 3 rows, one window over rows 10..13 (width 4).
   * Detections: row 2 (probationary, ignored); row 5 (before any window: -A_FP = -0.11); rows 11
   * and 12 in the window (only the better counts: row 11, position -(13-11+1)/4 = -0.75,
   * sigma(-0.75)/sigma(-1) = 0.9669890878000605); row 16 after the window (position |13-16|/(4-1)
   * = 1, 0.11 * sigma(1) = -0.10852757279665734). Sum 0.7484615150034032; null -1, perfect 1:
   * normalized 100 * 1.7484615150034032 / 2 = 87.42307575017017.
   */
  @Test
  void handBuiltCaseHasTheKnownScore() {
    NabScorer nab = NabScorer.standard();
    assertEquals(3.0, nab.probationaryLength(20));
    List<TimeWindow> w = List.of(new TimeWindow(10 * MIN, 13 * MIN));
    NabScorer.Sweep sweep = nab.sweep(minutes(20), w);
    NabScorer.FileScore s = nab.score(sweep, flags(20, 2, 5, 11, 12, 16));
    assertEquals(0.7484615150034032, s.raw(), 1e-12);
    assertEquals(-1.0, s.nullScore());
    assertEquals(1, s.detectedWindows());
    assertEquals(2, s.falsePositives());
    assertEquals(87.42307575017017, nab.normalized(List.of(s)), 1e-10);
    assertEquals(87.42307575017017, s.normalized(NabScorer.Profile.STANDARD), 1e-10);
  }

  @Test
  void anchorsNullPerfectAndProbationaryWindows() {
    NabScorer nab = NabScorer.standard();
    List<TimeWindow> w = List.of(new TimeWindow(0, MIN), new TimeWindow(10 * MIN, 13 * MIN));
    NabScorer.Sweep sweep = nab.sweep(minutes(20), w);
    // the null detector scores 0
    NabScorer.FileScore none = nab.score(sweep, flags(20));
    assertEquals(-1.0, none.raw()); // the probationary window is not scored as a miss
    assertEquals(0.0, nab.normalized(List.of(none)), 1e-12);
    // a detection at the left edge of each scored window is perfect: sigma(-1)/sigma(-1) = 1;
    // perfect counts every window (2), so normalized = 100 * (1 + 1) / (2 + 1)
    NabScorer.FileScore edge = nab.score(sweep, flags(20, 10));
    assertEquals(1.0, edge.raw(), 1e-15);
    assertEquals(200.0 / 3, nab.normalized(List.of(edge)), 1e-10);
    // the scaled sigmoid at its anchors
    assertEquals(0.0, NabScorer.scaledSigmoid(0), 1e-15);
    assertEquals(-1.0, NabScorer.scaledSigmoid(3), 0);
    assertEquals(0.9866142981514303, NabScorer.scaledSigmoid(-1), 1e-15);
    assertEquals(750.0, nab.probationaryLength(100_000));
  }

  @Test
  void optimizedThresholdMatchesABruteForceSweep() {
    NabScorer nab = NabScorer.standard();
    SplittableRandom r = new SplittableRandom(4);
    List<NabScorer.Sweep> sweeps = new ArrayList<>();
    List<double[]> scores = new ArrayList<>();
    for (int f = 0; f < 3; f++) {
      int n = 200;
      List<TimeWindow> w = List.of(new TimeWindow(60 * MIN, 80 * MIN), new TimeWindow(150 * MIN, 170 * MIN));
      sweeps.add(nab.sweep(minutes(n), w));
      double[] s = new double[n];
      for (int i = 0; i < n; i++) {
        s[i] = Math.floor(r.nextDouble() * 50) / 50 + ((i >= 65 && i <= 80) ? 0.3 : 0);
      }
      scores.add(s);
    }
    double[] opt = nab.optimizeThreshold(sweeps, scores);
    double best = Double.NEGATIVE_INFINITY;
    for (double[] s : scores) {
      for (double t : s) {
        double total = 0;
        for (int f = 0; f < 3; f++) {
          boolean[] flag = new boolean[200];
          for (int i = 0; i < 200; i++) {
            flag[i] = scores.get(f)[i] >= t;
          }
          total += nab.score(sweeps.get(f), flag).raw();
        }
        best = Math.max(best, total);
      }
    }
    assertEquals(best, opt[1], 1e-9);
    double atOpt = 0;
    for (int f = 0; f < 3; f++) {
      boolean[] flag = new boolean[200];
      for (int i = 0; i < 200; i++) {
        flag[i] = scores.get(f)[i] >= opt[0];
      }
      atOpt += nab.score(sweeps.get(f), flag).raw();
    }
    assertEquals(opt[1], atOpt, 1e-9);
  }

  @Test
  void rejectsCallerBugs() {
    NabScorer nab = NabScorer.standard();
    assertThrows(IllegalArgumentException.class, () -> nab.sweep(new long[] {2, 1}, List.of()));
    assertThrows(IllegalArgumentException.class, () -> nab.sweep(minutes(5),
        List.of(new TimeWindow(0, 3 * MIN), new TimeWindow(2 * MIN, 4 * MIN))));
    NabScorer.Sweep s = nab.sweep(minutes(5), List.of());
    assertThrows(IllegalArgumentException.class, () -> nab.score(s, new boolean[4]));
    assertThrows(IllegalArgumentException.class, () -> nab.normalized(List.of(nab.score(s, new boolean[5]))));
  }
}
