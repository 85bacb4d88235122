package org.fedtel.telemetry.features;

/** How a window of samples becomes a feature vector. */
public enum FeatureMode {
  /** Per metric the twelve {@link Statistics#NAMES}; features = metrics x 12. */
  STATISTICS,
  /** The window's raw values, time-major (t0 m0, t0 m1, ..., t1 m0, ...); features = length x metrics. */
  RAW
}
