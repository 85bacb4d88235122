package org.fedtel.telemetry.detect;

import org.fedtel.telemetry.features.Statistics;

/**
 * Anomaly thresholds. A window is flagged when its score is at least the threshold.
 */
public final class Threshold {
  private Threshold() {}

  /**
   * The {@code percentile}-th percentile (numpy linear) of the training scores, e.g. 99 as in
   * Prodigy (Aksar et al., SC'23). A federation computes the same quantity with a DP quantile.
   */
  public static double fromTrainingScores(double[] scores, double percentile) {
    if (scores.length == 0) {
      throw new IllegalArgumentException("no training scores");
    }
    for (int i = 0; i < scores.length; i++) {
      if (!Double.isFinite(scores[i])) {
        throw new IllegalArgumentException("training score " + i + " is not finite: " + scores[i]);
      }
    }
    return Statistics.percentile(scores, percentile);
  }
}
