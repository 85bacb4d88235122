package org.fedtel.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A site's statistics of one round — its local training loss and how the global model it started
 * from scored on its held-out labelled windows — as {@link #SIZE} values in [0, 1] appended to the
 * update inside the secure aggregate, so they never leave the site in the clear and the coordinator
 * learns only their sum over the survivors (DESIGN.md section 2). Under distributed DP they are part
 * of the vector the mechanism clips and noises, so they are covered by the round's ε; both ends agree
 * on the layout through this class.
 *
 * <p>Layout: {@code [min(loss, lossBound) / lossBound, validated, tp, fp, fn]}, where {@code validated}
 * is 1 when the site has labelled held-out windows (else the last three are 0) and tp, fp, fn are
 * fractions of those windows. Every site weighs the same, whatever its size.
 *
 * @param trainLoss mean local training loss (finite, at least 0)
 * @param validated whether the site has held-out labelled windows
 * @param truePositive fraction of held-out windows that are anomalous and flagged
 * @param falsePositive fraction that are normal and flagged
 * @param falseNegative fraction that are anomalous and not flagged
 */
public record RoundStatistics(double trainLoss, boolean validated, double truePositive, double falsePositive, double falseNegative) {
  /** Number of ring coordinates the statistics take. */
  public static final int SIZE = 5;

  /**
   * The largest squared L2 norm of the encoded values: 1 (loss) + 1 (validated) + 1 (the three
   * fractions sum to at most 1, so their squares do too). Scaling by {@code gamma * C / sqrt(3)} keeps
   * them within {@code gamma * C}.
   */
  public static final double MAX_SQUARED_NORM = 3;

  /** The factor by which distributed mode scales the encoded values so their norm is at most {@code share * clipNorm}. */
  public static double distributedScale(double share, double clipNorm) {
    return share * clipNorm / Math.sqrt(MAX_SQUARED_NORM);
  }

  public RoundStatistics {
    if (!(trainLoss >= 0) || Double.isInfinite(trainLoss)) {
      throw new IllegalArgumentException("training loss is " + trainLoss);
    }
    fraction("true positive", truePositive);
    fraction("false positive", falsePositive);
    fraction("false negative", falseNegative);
    if (truePositive + falsePositive + falseNegative > 1 + 1e-9) {
      throw new IllegalArgumentException("fractions sum to " + (truePositive + falsePositive + falseNegative) + " > 1");
    }
    if (!validated && truePositive + falsePositive + falseNegative != 0) {
      throw new IllegalArgumentException("a site without validation windows has no confusion fractions");
    }
  }

  /** Statistics of a site without labelled held-out windows. */
  public static RoundStatistics trainingOnly(double trainLoss) {
    return new RoundStatistics(trainLoss, false, 0, 0, 0);
  }

  private static void fraction(String what, double v) {
    if (!(v >= 0 && v <= 1)) {
      throw new IllegalArgumentException(what + " fraction is " + v);
    }
  }

  /** The values in [0, 1] that go into the aggregate; {@code lossBound} is the round's public bound. */
  public void encode(double lossBound, double[] out, int offset) {
    checkBound(lossBound);
    out[offset] = Math.min(trainLoss, lossBound) / lossBound;
    out[offset + 1] = validated ? 1 : 0;
    out[offset + 2] = truePositive;
    out[offset + 3] = falsePositive;
    out[offset + 4] = falseNegative;
  }

  private static void checkBound(double lossBound) {
    if (!(lossBound > 0) || Double.isInfinite(lossBound)) {
      throw new IllegalArgumentException("loss bound " + lossBound + " must be positive and finite");
    }
  }

  /**
   * The round's metrics from the sum of the survivors' encoded statistics (possibly noisy under DP;
   * means are clamped to the range the true values lie in — loss in [0, lossBound], fractions in
   * [0, 1] before precision, recall and F1 are formed). Keys: {@code train_loss}
   * (mean over survivors, in loss units, of the clipped loss), {@code val_sites} (how many survivors had
   * validation windows), and when that is positive {@code val_precision}, {@code val_recall},
   * {@code val_f1} of the confusion fractions averaged over those sites.
   */
  public static Map<String, Double> metrics(double[] sum, int offset, int survivors, double lossBound) {
    checkBound(lossBound);
    if (survivors <= 0) {
      throw new IllegalArgumentException("no survivors");
    }
    Map<String, Double> m = new LinkedHashMap<>();
    // Noise can push a decoded mean outside the range every site's value lies in; clamping it back is
    // post-processing, so it costs no privacy and is never further from the truth.
    m.put("train_loss", clamp(sum[offset] / survivors) * lossBound);
    double validated = Math.max(0, Math.min(survivors, sum[offset + 1]));
    m.put("val_sites", validated);
    if (validated >= 0.5) {
      double tp = clamp(sum[offset + 2] / validated);
      double fp = clamp(sum[offset + 3] / validated);
      double fn = clamp(sum[offset + 4] / validated);
      m.put("val_precision", tp + fp == 0 ? 0 : tp / (tp + fp));
      m.put("val_recall", tp + fn == 0 ? 0 : tp / (tp + fn));
      m.put("val_f1", 2 * tp + fp + fn == 0 ? 0 : 2 * tp / (2 * tp + fp + fn));
    }
    return m;
  }

  private static double clamp(double v) {
    return Math.max(0, Math.min(1, v));
  }
}
