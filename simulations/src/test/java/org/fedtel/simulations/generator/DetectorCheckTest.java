package org.fedtel.simulations.generator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DetectorCheckTest {
  /** Slow reference: try every observed value as a threshold, both ways. */
  static double bruteForce(double[] v, String[] labels, String type) {
    double best = 0;
    for (double t : v) {
      for (int dir = 0; dir < 2; dir++) {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (int k = 0; k < v.length; k++) {
          boolean flag = dir == 0 ? v[k] >= t : v[k] <= t;
          if (type.equals(labels[k])) {
            tp += flag ? 1 : 0;
            fn += flag ? 0 : 1;
          } else if (labels[k] == null) {
            fp += flag ? 1 : 0;
          }
        }
        if (tp > 0) {
          best = Math.max(best, 2.0 * tp / (2.0 * tp + fp + fn));
        }
      }
    }
    return best;
  }

  @Test
  void bestF1MatchesBruteForce() {
    SplitMix r = new SplitMix(8);
    for (int trial = 0; trial < 200; trial++) {
      int n = 5 + r.nextInt(60);
      double[] v = new double[n];
      String[] labels = new String[n];
      for (int k = 0; k < n; k++) {
        v[k] = r.nextInt(10); // ties on purpose
        int c = r.nextInt(4);
        labels[k] = c == 0 ? "memleak" : c == 1 ? "membw" : null;
        if (labels[k] != null && r.nextDouble() < 0.5) {
          v[k] += 3;
        }
      }
      if (java.util.Arrays.stream(labels).noneMatch("memleak"::equals)) {
        continue;
      }
      assertEquals(bruteForce(v, labels, "memleak"), DetectorCheck.bestF1(v, labels, "memleak", true), 1e-12);
    }
  }

  @Test
  void episodesAreRunsOfOneTypeOnOneNode() {
    String[] nodes = {"a", "a", "a", "a", "b", "b", "b", "b"};
    String[] labels = {null, "membw", "membw", null, "membw", "membw", "cpuoccupy", "membw"};
    boolean[] flagged = {true, false, true, false, false, false, true, false};
    // membw episodes: a[1..2] (detected), b[4..5] (missed), b[7] (missed).
    assertArrayEquals(new int[] {3, 1}, DetectorCheck.episodeRecall(nodes, labels, flagged, "membw"));
    assertArrayEquals(new int[] {1, 1}, DetectorCheck.episodeRecall(nodes, labels, flagged, "cpuoccupy"));
    // An episode continuing across a node boundary is two episodes.
    String[] n2 = {"a", "b"};
    String[] l2 = {"membw", "membw"};
    assertArrayEquals(new int[] {2, 1}, DetectorCheck.episodeRecall(n2, l2, new boolean[] {false, true}, "membw"));
  }
}
