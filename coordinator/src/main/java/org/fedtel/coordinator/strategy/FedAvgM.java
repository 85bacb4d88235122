package org.fedtel.coordinator.strategy;

import java.util.List;

/**
 * FedAvg with server momentum (Hsu, Qi and Brown, "Measuring the Effects of Non-Identical Data
 * Distribution for Federated Visual Classification", 2019): v = beta * v + delta; x = x + eta * v.
 */
final class FedAvgM implements Strategy {
  static final String NAME = "fedavgm";
  private final double serverLearningRate;
  private final double momentum;
  private double[] velocity;

  FedAvgM(double serverLearningRate, double momentum) {
    this.serverLearningRate = Strategies.positive("server_learning_rate", serverLearningRate);
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("server_momentum must be in [0, 1), got " + momentum);
    }
    this.momentum = momentum;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public FitInstructions configure(long round) {
    return FitInstructions.PLAIN;
  }

  @Override
  public double[] aggregate(long round, double[] global, AggregatedUpdate update, List<SiteFailure> failures) {
    double[] delta = Strategies.checkedDelta(global, update);
    if (velocity == null) {
      velocity = new double[global.length];
    } else if (velocity.length != global.length) {
      throw new IllegalArgumentException("model length " + global.length + " differs from momentum length " + velocity.length);
    }
    double[] next = new double[global.length];
    for (int i = 0; i < next.length; i++) {
      velocity[i] = momentum * velocity[i] + delta[i];
      next[i] = global[i] + serverLearningRate * velocity[i];
    }
    return next;
  }

  @Override
  public StrategyState state() {
    return new StrategyState(NAME, velocity == null ? List.of() : List.of(velocity));
  }

  @Override
  public void restore(StrategyState state) {
    List<double[]> buffers = Strategies.checkState(state, NAME, 1);
    velocity = buffers.isEmpty() ? null : buffers.get(0);
  }
}
