package org.fedtel.telemetry.features;

/** Receives windows as they complete. */
@FunctionalInterface
public interface WindowSink {
  /**
   * One window.
   *
   * @param node node the samples came from ({@code ""} if the file has none)
   * @param endMillis timestamp of the window's last sample: the earliest moment a detector could
   *     flag the window
   * @param endRow 0-based data row (in its file) of the window's last sample
   * @param features the feature vector; reused for the next window, copy what you keep
   * @param label the most frequent anomaly type among the window's samples if any sample is
   *     anomalous, else {@code null}
   */
  void accept(String node, long endMillis, long endRow, double[] features, String label);
}
