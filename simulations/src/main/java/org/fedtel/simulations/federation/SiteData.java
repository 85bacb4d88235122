package org.fedtel.simulations.federation;

import java.util.Objects;
import org.fedtel.telemetry.features.Scaler;

/**
 * One simulated site's data, cut into feature windows: raw, and standardized with statistics of the
 * site's own training windows (no statistic leaves the site). A federation with federated statistics
 * re-scales the raw windows with the scaling the federation fits ({@link #scaledWith}).
 *
 * @param id site id
 * @param train the site's normal training windows, scaled with {@code scaler}
 * @param test held-out windows, normal and anomalous, scaled with {@code scaler}
 * @param testLabels per test window: {@code null} for normal, else the anomaly type
 * @param scaler the site's own scaling, fitted on its raw training windows
 * @param rawTrain {@code train} before scaling
 * @param rawTest {@code test} before scaling
 */
public record SiteData(String id, double[][] train, double[][] test, String[] testLabels, Scaler scaler,
                       double[][] rawTrain, double[][] rawTest) {
  public SiteData {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(scaler, "scaler");
    if (train.length == 0) {
      throw new IllegalArgumentException("site " + id + " has no normal training windows");
    }
    if (test.length != testLabels.length) {
      throw new IllegalArgumentException("site " + id + ": " + test.length + " test windows but " + testLabels.length + " labels");
    }
    if (rawTrain.length != train.length || rawTest.length != test.length) {
      throw new IllegalArgumentException("site " + id + ": " + rawTrain.length + "/" + rawTest.length + " raw windows for "
          + train.length + "/" + test.length + " scaled ones");
    }
  }

  /** The site's own standardization of its raw windows. */
  static SiteData standardized(String id, double[][] rawTrain, double[][] rawTest, String[] testLabels) {
    Scaler own = Scaler.fit(Scaler.Kind.STANDARD, rawTrain);
    return new SiteData(id, own.transform(rawTrain), own.transform(rawTest), testLabels, own, rawTrain, rawTest);
  }

  /** This site's raw windows scaled with {@code scaling} instead of the site's own. */
  SiteData scaledWith(Scaler scaling) {
    return new SiteData(id, scaling.transform(rawTrain), scaling.transform(rawTest), testLabels, scaling, rawTrain, rawTest);
  }

  /** Number of features of each window. */
  public int features() {
    return train[0].length;
  }
}
