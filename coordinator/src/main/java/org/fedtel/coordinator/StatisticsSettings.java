package org.fedtel.coordinator;

import org.fedtel.protocol.FeatureMoments;
import org.fedtel.protocol.ScoreHistogram;

/**
 * The federated statistics rounds (docs/FEDERATION.md, "Federated scaling and threshold"): before the
 * first training round, a FEATURE_MEANS and a FEATURE_DEVIATIONS round fit one scaling for every
 * site; after the last, a SCORE_HISTOGRAM round sets the detection threshold of the final model. Each is a use of the sites'
 * data with record-level Gaussian noise of multiplier {@code noiseMultiplier} added by every site to
 * its own sums (sensitivity: one window), charged to its budget and recorded in the ledger.
 *
 * @param enabled whether the federation runs the statistics rounds (off: each site scales with its
 *     own statistics and sets its own threshold, and neither leaves the site)
 * @param features number of features F of the sites' windows (the model's input size)
 * @param noiseMultiplier z of the statistics rounds (ignored in privacy mode none, which adds no noise)
 * @param featureBound bound B of the signed-log feature values
 * @param deviationBound bound D of a signed-log value's distance from its feature's mean
 * @param bins bins of the score histogram
 * @param scoreBound upper end U of the bins, in log1p(score)
 * @param percentile the threshold's percentile of the pooled training scores
 * @param thresholdEvery also set the threshold after every this many training rounds (0: only for the
 *     final model), so that live scoring during a long federation uses federated thresholds too
 */
public record StatisticsSettings(boolean enabled, int features, double noiseMultiplier, double featureBound,
                                 double deviationBound, int bins, double scoreBound, double percentile, int thresholdEvery) {
  /** Default z of the statistics rounds (docs/FEDERATION.md gives the ε it costs). */
  public static final double DEFAULT_NOISE_MULTIPLIER = 3;

  /** No statistics rounds. */
  public static final StatisticsSettings OFF = new StatisticsSettings(false, 1, 1, FeatureMoments.DEFAULT_BOUND,
      FeatureMoments.DEFAULT_DEVIATION_BOUND, ScoreHistogram.DEFAULT_BINS, ScoreHistogram.DEFAULT_BOUND, 99, 0);

  public StatisticsSettings {
    require(features >= 1, "model inputs must be >= 1, got " + features);
    require(noiseMultiplier > 0 && Double.isFinite(noiseMultiplier), "statistics.noise_multiplier must be positive, got " + noiseMultiplier);
    require(featureBound > 0 && Double.isFinite(featureBound), "statistics.feature_bound must be positive, got " + featureBound);
    require(deviationBound > 0 && Double.isFinite(deviationBound), "statistics.deviation_bound must be positive, got " + deviationBound);
    require(bins >= 2 && bins <= 1 << 16, "statistics.bins must be in [2, 65536], got " + bins);
    require(scoreBound > 0 && Double.isFinite(scoreBound), "statistics.score_bound must be positive, got " + scoreBound);
    require(percentile > 0 && percentile < 100, "statistics.percentile must be in (0, 100), got " + percentile);
    require(thresholdEvery >= 0, "statistics.threshold_every must be >= 0, got " + thresholdEvery);
  }

  /** Enabled, for {@code features} features, with the default bounds and bins. */
  public static StatisticsSettings of(int features, double noiseMultiplier) {
    return new StatisticsSettings(true, features, noiseMultiplier, FeatureMoments.DEFAULT_BOUND,
        FeatureMoments.DEFAULT_DEVIATION_BOUND, ScoreHistogram.DEFAULT_BINS, ScoreHistogram.DEFAULT_BOUND, 99, 0);
  }

  /** These settings, setting the threshold also after every {@code rounds} training rounds. */
  public StatisticsSettings withThresholdEvery(int rounds) {
    return new StatisticsSettings(enabled, features, noiseMultiplier, featureBound, deviationBound, bins, scoreBound, percentile,
        rounds);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
