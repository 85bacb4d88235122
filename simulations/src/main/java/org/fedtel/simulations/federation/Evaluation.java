package org.fedtel.simulations.federation;

import java.util.List;
import org.fedtel.simulations.experiment.RoundRecord;
import org.fedtel.telemetry.detect.Threshold;
import org.fedtel.telemetry.eval.Confusion;
import org.fedtel.telemetry.eval.Metrics;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.fedtel.telemetry.model.ReconstructionError;

/**
 * Detection quality of a model on the sites' held-out windows. Each site flags a window when its
 * reconstruction error exceeds the site's own threshold, the 99th percentile of the model's errors
 * on the site's training windows (as in Prodigy, Aksar et al. SC'23; the threshold never leaves the
 * site). Precision, recall, F1 and recall per type are over all sites' windows pooled; ROC-AUC and
 * PR-AUC rank the pooled errors (each site's features are standardized by the site, so errors are on
 * comparable scales).
 *
 * <p>With federated statistics the sites' windows are scaled with the federation's scaling (the
 * caller passes them so) and, once the federation has set one, every site flags above the
 * federation's threshold instead of its own.
 */
public final class Evaluation {
  /** Percentile of training errors used as each site's threshold. */
  public static final double THRESHOLD_PERCENTILE = 99;

  private Evaluation() {}

  /** Quality of one parameter vector used by every site. */
  public static RoundRecord.Quality ofGlobalModel(AutoencoderConfig config, double[] parameters, List<SiteData> sites) {
    return ofGlobalModel(config, parameters, sites, Double.NaN);
  }

  /**
   * Quality of one parameter vector used by every site, each flagging above {@code threshold} (NaN:
   * above the 99th percentile of its own training scores).
   */
  static RoundRecord.Quality ofGlobalModel(AutoencoderConfig config, double[] parameters, List<SiteData> sites, double threshold) {
    Autoencoder model = Autoencoder.withParameters(config, parameters);
    Pool pool = new Pool(sites, threshold);
    // Sites are scored in parallel, each into its own slice of the pool; a model keeps scratch
    // buffers, so every site gets its own copy.
    java.util.stream.IntStream.range(0, sites.size()).parallel().forEach(i -> pool.add(i, sites.get(i), model.copy()));
    return pool.quality();
  }

  /** Quality when each site uses its own model ({@code models[i]} for {@code sites.get(i)}). */
  public static RoundRecord.Quality ofSiteModels(Autoencoder[] models, List<SiteData> sites) {
    Pool pool = new Pool(sites, Double.NaN);
    for (int i = 0; i < sites.size(); i++) {
      pool.add(i, sites.get(i), models[i]);
    }
    return pool.quality();
  }

  /** Pooled scores and flags over sites. */
  private static final class Pool {
    final double[] scores;
    final boolean[] truth;
    final boolean[] flagged;
    final String[] labels;
    /** Where each site's test windows start in the pooled arrays. */
    final int[] offsets;
    /** The threshold every site flags above; NaN: each site's own percentile. */
    final double sharedThreshold;

    Pool(List<SiteData> sites, double sharedThreshold) {
      this.sharedThreshold = sharedThreshold;
      offsets = new int[sites.size()];
      int total = 0;
      for (int i = 0; i < sites.size(); i++) {
        offsets[i] = total;
        total += sites.get(i).test().length;
      }
      scores = new double[total];
      truth = new boolean[total];
      flagged = new boolean[total];
      labels = new String[total];
    }

    void add(int siteIndex, SiteData site, Autoencoder model) {
      int n = offsets[siteIndex];
      double threshold = sharedThreshold;
      if (Double.isNaN(threshold)) {
        // Batched scoring: the same scores as one window at a time, bit for bit, faster.
        double[] train = new double[site.train().length];
        model.scores(site.train(), 0, train.length, ReconstructionError.MSE, train);
        threshold = Threshold.fromTrainingScores(finite(train), THRESHOLD_PERCENTILE);
      }
      double[] test = new double[site.test().length];
      if (test.length > 0) {
        model.scores(site.test(), 0, test.length, ReconstructionError.MSE, test);
      }
      for (int i = 0; i < test.length; i++) {
        double s = test[i];
        scores[n] = Double.isFinite(s) ? s : Double.MAX_VALUE;
        flagged[n] = scores[n] > threshold;
        labels[n] = site.testLabels()[i];
        truth[n] = labels[n] != null;
        n++;
      }
    }

    RoundRecord.Quality quality() {
      Confusion c = Confusion.of(truth, flagged);
      boolean anyPositive = false;
      boolean anyNegative = false;
      for (boolean t : truth) {
        anyPositive |= t;
        anyNegative |= !t;
      }
      double roc = anyPositive && anyNegative ? Metrics.rocAuc(scores, truth) : Double.NaN;
      double pr = anyPositive ? Metrics.averagePrecision(scores, truth) : Double.NaN;
      return new RoundRecord.Quality(c.f1(), c.precision(), c.recall(), roc, pr, Metrics.recallByType(labels, flagged));
    }
  }

  /** A diverged model can score NaN or infinity; it then flags everything above the largest finite value. */
  private static double[] finite(double[] scores) {
    for (int i = 0; i < scores.length; i++) {
      if (!Double.isFinite(scores[i])) {
        scores[i] = Double.MAX_VALUE;
      }
    }
    return scores;
  }
}
