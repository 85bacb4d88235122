package org.fedtel.coordinator.strategy;

import java.util.List;

/**
 * What a round of secure aggregation reveals to the coordinator: the weighted mean of the
 * surviving sites' model deltas (never an individual delta), their total weight, and who survived.
 *
 * @param meanDelta sum_i w_i * delta_i / sum_i w_i, one element per model parameter
 * @param totalWeight sum_i w_i over the survivors, positive
 * @param survivors site ids whose inputs are in the sum
 */
public record AggregatedUpdate(double[] meanDelta, double totalWeight, List<String> survivors) {
  public AggregatedUpdate {
    if (meanDelta == null || meanDelta.length == 0) {
      throw new IllegalArgumentException("meanDelta must be a non-empty vector");
    }
    for (int i = 0; i < meanDelta.length; i++) {
      if (!Double.isFinite(meanDelta[i])) {
        throw new IllegalArgumentException("meanDelta[" + i + "] is " + meanDelta[i]);
      }
    }
    if (!(totalWeight > 0) || Double.isInfinite(totalWeight)) {
      throw new IllegalArgumentException("totalWeight must be positive and finite, got " + totalWeight);
    }
    if (survivors == null || survivors.isEmpty()) {
      throw new IllegalArgumentException("an aggregate needs at least one survivor");
    }
    meanDelta = meanDelta.clone();
    survivors = List.copyOf(survivors);
  }

  @Override
  public double[] meanDelta() {
    return meanDelta.clone();
  }
}
