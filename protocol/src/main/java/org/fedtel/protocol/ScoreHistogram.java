package org.fedtel.protocol;

/**
 * The score-histogram statistics round (RoundStart purpose SCORE_HISTOGRAM): each site counts its
 * training windows' anomaly scores under the final global model in K bins, and the coordinator reads
 * the detection threshold — a percentile of everyone's scores — off the noisy sum of the counts. The
 * federated counterpart of each site's own "99th percentile of the training scores".
 *
 * <p>Bins are uniform in u = log1p(score) on [0, U] (score ≥ 0; the last bin also takes everything
 * above U, and a NaN or infinite score, which is a diverged model's, counts as the largest). One window
 * is in exactly one bin, so adding or removing it moves the counts by 1 in one coordinate: L2
 * sensitivity 1.
 */
public final class ScoreHistogram {
  /**
   * Default number of bins. Every bin above the percentile adds its noise to the tail sum the decoder
   * walks, so the range and the bins are kept small: 48 bins over log1p(score) ∈ [0, log1p(300)],
   * each about 13 % wide in score (ScoreHistogramTest measures the resulting error).
   */
  public static final int DEFAULT_BINS = 48;
  /**
   * Default upper end U of the bins: log1p(300). Reconstruction errors of standardized windows are
   * far below; a threshold above 300 would come out as 300.
   */
  public static final double DEFAULT_BOUND = Math.log1p(300);

  private ScoreHistogram() {}

  /** L2 sensitivity of the counts to one window. */
  public static double sensitivity() {
    return 1;
  }

  /** The bin of {@code score}. */
  public static int bin(double score, int bins, double bound) {
    check(bins, bound);
    if (!(score >= 0)) {
      if (Double.isNaN(score)) {
        return bins - 1;
      }
      score = 0; // a negative score cannot come from a squared error; counted as perfect
    }
    double u = Math.log1p(score);
    if (!(u < bound)) {
      return bins - 1;
    }
    return Math.min(bins - 1, (int) (u / bound * bins));
  }

  /** This site's counts of {@code scores}. */
  public static double[] contribution(double[] scores, int bins, double bound) {
    check(bins, bound);
    double[] counts = new double[bins];
    for (double s : scores) {
      counts[bin(s, bins, bound)] += 1;
    }
    return counts;
  }

  /**
   * The score below which {@code percentile} percent of the pooled windows lie, from the noisy sum of
   * counts: the tail is summed down from the top bin until it holds (100 − percentile) % of the total,
   * and the percentile is interpolated linearly in u inside that bin. The counts are summed as they
   * are, negative ones included: each noisy sum is then unbiased, whereas reading negative counts as 0
   * would add noise mass to every empty bin and push the threshold up.
   *
   * @throws IllegalArgumentException if the sum is malformed or holds (after noise) no window at all
   */
  public static double threshold(double[] sum, double bound, double percentile) {
    check(sum.length, bound);
    if (!(percentile > 0 && percentile < 100)) {
      throw new IllegalArgumentException("percentile must be in (0, 100), got " + percentile);
    }
    double total = 0;
    for (int i = 0; i < sum.length; i++) {
      if (!Double.isFinite(sum[i])) {
        throw new IllegalArgumentException("count " + i + " is not finite: " + sum[i]);
      }
      total += sum[i];
    }
    if (!(total >= 1)) {
      throw new IllegalArgumentException("the noisy histogram holds " + total + " windows: too few for the noise");
    }
    double width = bound / sum.length;
    double tail = (1 - percentile / 100) * total;
    double above = 0;
    for (int b = sum.length - 1; b >= 0; b--) {
      double c = sum[b];
      if (above + c >= tail) {
        // The share of this bin that lies above the percentile (a noisy bin may hold "less than none").
        double inside = c > 0 ? Math.max(0, Math.min(1, (tail - above) / c)) : 0;
        return Math.expm1((b + 1 - inside) * width);
      }
      above += c;
    }
    return 0;
  }

  private static void check(int bins, double bound) {
    if (bins < 2) {
      throw new IllegalArgumentException("bins must be >= 2, got " + bins);
    }
    if (!(bound > 0) || Double.isInfinite(bound)) {
      throw new IllegalArgumentException("bound must be positive and finite, got " + bound);
    }
  }
}
