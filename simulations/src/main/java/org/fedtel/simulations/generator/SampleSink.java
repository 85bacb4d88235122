package org.fedtel.simulations.generator;

/**
 * Receives generated samples in memory (an in-process federation can train on them without
 * touching disk). For one node the calls come in time order; {@code values} is indexed by
 * {@link Metric#ordinal()} and is reused after the call returns, so copy what you keep.
 */
@FunctionalInterface
public interface SampleSink {
  /**
   * @param node the node's index within its site
   * @param time Unix seconds (UTC)
   * @param values the metrics
   * @param label the anomaly, or null for a normal sample
   * @param intensity the anomaly's intensity, 0 for a normal sample
   */
  void sample(int node, long time, double[] values, AnomalyType label, double intensity);
}
