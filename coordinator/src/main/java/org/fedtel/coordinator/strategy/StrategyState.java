package org.fedtel.coordinator.strategy;

import java.util.ArrayList;
import java.util.List;

/**
 * The server-side optimizer state of a strategy (momentum and second-moment buffers), persisted
 * with the global model so that a restarted coordinator continues the same optimization.
 *
 * @param strategy name of the strategy that produced it; restoring into another strategy fails
 * @param buffers the strategy's vectors, each as long as the model (none for FedAvg)
 */
public record StrategyState(String strategy, List<double[]> buffers) {
  public StrategyState {
    if (strategy == null || strategy.isEmpty()) {
      throw new IllegalArgumentException("strategy name must be non-empty");
    }
    List<double[]> copy = new ArrayList<>(buffers.size());
    for (double[] b : buffers) {
      copy.add(b.clone());
    }
    buffers = List.copyOf(copy);
  }

  @Override
  public List<double[]> buffers() {
    List<double[]> copy = new ArrayList<>(buffers.size());
    for (double[] b : buffers) {
      copy.add(b.clone());
    }
    return copy;
  }
}
