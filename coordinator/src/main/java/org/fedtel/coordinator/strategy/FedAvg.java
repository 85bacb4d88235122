package org.fedtel.coordinator.strategy;

import java.util.List;

/**
 * FedAvg (McMahan et al., AISTATS 2017) with a server learning rate, and FedProx (Li et al., MLSys
 * 2020), which aggregates the same way and differs only in the proximal term mu it asks the sites
 * to add to their local objective.
 */
final class FedAvg implements Strategy {
  private final String name;
  private final double serverLearningRate;
  private final FitInstructions instructions;

  FedAvg(String name, double serverLearningRate, double proximalMu) {
    this.name = name;
    this.serverLearningRate = Strategies.positive("server_learning_rate", serverLearningRate);
    this.instructions = new FitInstructions(proximalMu);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public FitInstructions configure(long round) {
    return instructions;
  }

  @Override
  public double[] aggregate(long round, double[] global, AggregatedUpdate update, List<SiteFailure> failures) {
    double[] delta = Strategies.checkedDelta(global, update);
    double[] next = new double[global.length];
    for (int i = 0; i < next.length; i++) {
      next[i] = global[i] + serverLearningRate * delta[i];
    }
    return next;
  }

  @Override
  public StrategyState state() {
    return new StrategyState(name, List.of());
  }

  @Override
  public void restore(StrategyState state) {
    Strategies.checkState(state, name, 0);
  }
}
