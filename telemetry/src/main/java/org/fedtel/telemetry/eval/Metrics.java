package org.fedtel.telemetry.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Threshold-free and per-type detection metrics, defined as scikit-learn defines them so results
 * compare with published numbers: ROC-AUC ({@code roc_auc_score}, ties count one half), PR-AUC as
 * average precision ({@code average_precision_score}: sum over thresholds of
 * (R_n - R_{n-1}) P_n, no interpolation).
 */
public final class Metrics {
  private Metrics() {}

  /** ROC-AUC = P(score of a random positive > score of a random negative) + P(tie)/2; NaN if a class is absent. */
  public static double rocAuc(double[] scores, boolean[] positive) {
    check(scores, positive);
    int n = scores.length;
    Integer[] order = sortedIndices(scores, true);
    // average ranks (1-based, ascending) with ties sharing their mean rank
    double rankSumPositive = 0;
    long pos = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double avgRank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (positive[order[k]]) {
          rankSumPositive += avgRank;
          pos++;
        }
      }
      i = j + 1;
    }
    long neg = n - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    return (rankSumPositive - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }

  /** Average precision (area under the precision-recall curve, step-wise); NaN without positives. */
  public static double averagePrecision(double[] scores, boolean[] positive) {
    check(scores, positive);
    int n = scores.length;
    long totalPos = 0;
    for (boolean p : positive) {
      if (p) {
        totalPos++;
      }
    }
    if (totalPos == 0) {
      return Double.NaN;
    }
    Integer[] order = sortedIndices(scores, false);
    double ap = 0;
    long tp = 0;
    long seen = 0;
    double prevRecall = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      for (int k = i; k <= j; k++) {
        seen++;
        if (positive[order[k]]) {
          tp++;
        }
      }
      double recall = (double) tp / totalPos;
      double precision = (double) tp / seen;
      ap += (recall - prevRecall) * precision;
      prevRecall = recall;
      i = j + 1;
    }
    return ap;
  }

  /** Recall per anomaly type: the share of windows of each type that were flagged. */
  public static Map<String, Double> recallByType(String[] labels, boolean[] flagged) {
    if (labels.length != flagged.length) {
      throw new IllegalArgumentException("lengths differ");
    }
    Map<String, long[]> counts = new TreeMap<>();
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] != null) {
        long[] c = counts.computeIfAbsent(labels[i], k -> new long[2]);
        c[0]++;
        if (flagged[i]) {
          c[1]++;
        }
      }
    }
    Map<String, Double> out = new TreeMap<>();
    counts.forEach((k, c) -> out.put(k, (double) c[1] / c[0]));
    return out;
  }

  /**
   * Detection delay per anomaly episode. An episode is a maximal run of consecutive anomalous
   * windows of one node (in the given order, which must be time order per node); its delay is the
   * time from its first window's end to the first flagged window's end within it.
   */
  public static DetectionDelay detectionDelay(String[] nodes, long[] endMillis, String[] labels, boolean[] flagged) {
    int n = labels.length;
    if (nodes.length != n || endMillis.length != n || flagged.length != n) {
      throw new IllegalArgumentException("lengths differ");
    }
    Map<String, long[]> open = new HashMap<>(); // node -> {episode start, detected delay or -1}
    List<Long> delays = new ArrayList<>();
    int[] episodes = {0};
    for (int i = 0; i < n; i++) {
      long[] ep = open.get(nodes[i]);
      if (labels[i] != null) {
        if (ep == null) {
          ep = new long[] {endMillis[i], -1};
          open.put(nodes[i], ep);
          episodes[0]++;
        }
        if (flagged[i] && ep[1] < 0) {
          ep[1] = endMillis[i] - ep[0];
          delays.add(ep[1]);
        }
      } else if (ep != null) {
        open.remove(nodes[i]);
      }
    }
    long[] d = delays.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(d);
    double mean = d.length == 0 ? Double.NaN : Arrays.stream(d).average().orElse(Double.NaN);
    double median = d.length == 0 ? Double.NaN
        : d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2.0;
    return new DetectionDelay(episodes[0], d.length, mean, median);
  }

  /**
   * @param episodes anomaly episodes in the data
   * @param detected episodes with at least one flagged window
   * @param meanMillis mean delay over detected episodes (NaN if none)
   * @param medianMillis median delay over detected episodes (NaN if none)
   */
  public record DetectionDelay(int episodes, int detected, double meanMillis, double medianMillis) {}

  private static Integer[] sortedIndices(double[] scores, boolean ascending) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> ascending ? Double.compare(scores[a], scores[b]) : Double.compare(scores[b], scores[a]));
    return order;
  }

  private static void check(double[] scores, boolean[] positive) {
    if (scores.length != positive.length) {
      throw new IllegalArgumentException("lengths differ: " + scores.length + " vs " + positive.length);
    }
    for (int i = 0; i < scores.length; i++) {
      if (Double.isNaN(scores[i])) {
        throw new IllegalArgumentException("score " + i + " is NaN");
      }
    }
  }
}
