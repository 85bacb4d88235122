package org.fedtel.simulations.federation;

import java.util.Objects;

/**
 * One simulated site's data, already cut into feature windows and standardized with statistics of
 * the site's own training windows (no statistic leaves the site).
 *
 * @param id site id
 * @param train the site's normal training windows
 * @param test held-out windows, normal and anomalous
 * @param testLabels per test window: {@code null} for normal, else the anomaly type
 */
public record SiteData(String id, double[][] train, double[][] test, String[] testLabels) {
  public SiteData {
    Objects.requireNonNull(id, "id");
    if (train.length == 0) {
      throw new IllegalArgumentException("site " + id + " has no normal training windows");
    }
    if (test.length != testLabels.length) {
      throw new IllegalArgumentException("site " + id + ": " + test.length + " test windows but " + testLabels.length + " labels");
    }
  }

  /** Number of features of each window. */
  public int features() {
    return train[0].length;
  }
}
