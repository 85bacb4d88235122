package org.fedtel.siteagent;

import org.fedtel.protocol.FeatureMoments;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.TrainConfig;

/**
 * A site's local training: from the global model to an update. In privacy mode local the trainer
 * runs DP-SGD (per-example clipping and Gaussian noise); in distributed mode the session clips the
 * returned update itself; the trainer never sees the other sites.
 */
public interface LocalTrainer {
  /** Number of training examples (windows) this site holds. */
  long exampleCount();

  /** SHA-256 fingerprint of the training data, recorded in the ledger with every use. */
  byte[] datasetSha256();

  /**
   * Trains from {@code global} with {@code config} under {@code privacy}.
   *
   * @return the model delta (trained minus global) and the mean training loss
   */
  LocalUpdate train(long round, double[] global, TrainConfig config, PrivacyParams privacy);

  /**
   * How {@code global} scores on this site's held-out labelled windows, or null when the site has none.
   * A window is flagged when its reconstruction error is above the site's threshold for that model
   * (the 99th percentile of its errors on the training windows, as {@code fedtel detect} does).
   */
  default Validation validate(double[] global) {
    return null;
  }

  /**
   * This trainer's windows for the federated statistics rounds (docs/FEDERATION.md, "Federated scaling
   * and threshold"), or null when it cannot take part in them (the site then refuses such a round).
   * Wrappers must delegate.
   */
  default StatisticsSource statisticsSource() {
    return null;
  }

  /** What the statistics rounds need of a site's training windows. */
  interface StatisticsSource {
    /** Number of features F of a window. */
    int featureCount();

    /** {@link FeatureMoments#meanContribution} of the raw (unscaled) training windows. */
    double[] featureMeans(double bound);

    /** {@link FeatureMoments#deviationContribution} of the raw training windows around {@code means}. */
    double[] featureDeviations(double[] means, double bound);

    /** From now on the windows (training and held-out) are scaled with {@code scaling}. */
    void useScaling(FeatureMoments.Fit scaling);

    /** The anomaly scores of {@code global} on the (scaled) training windows. */
    double[] trainingScores(double[] global);
  }

  /** Fractions of the held-out windows that are true positives, false positives and false negatives. */
  record Validation(double truePositive, double falsePositive, double falseNegative) {}

  /** Result of local training. */
  record LocalUpdate(double[] delta, double trainLoss) {
    public LocalUpdate {
      for (int i = 0; i < delta.length; i++) {
        if (!Double.isFinite(delta[i])) {
          throw new IllegalArgumentException("local update element " + i + " is " + delta[i]);
        }
      }
      if (!Double.isFinite(trainLoss)) {
        throw new IllegalArgumentException("training loss is " + trainLoss);
      }
      delta = delta.clone();
    }

    @Override
    public double[] delta() {
      return delta.clone();
    }
  }
}
