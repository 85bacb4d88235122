package org.fedtel.telemetry.model;

/** Stochastic gradient descent, optionally with (heavy-ball) momentum. */
public final class Sgd implements Optimizer {
  private final double learningRate;
  private final double momentum;
  private double[] velocity;

  public Sgd(double learningRate) {
    this(learningRate, 0);
  }

  public Sgd(double learningRate, double momentum) {
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException("learningRate must be finite and > 0, was " + learningRate);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("momentum must be in [0, 1), was " + momentum);
    }
    this.learningRate = learningRate;
    this.momentum = momentum;
  }

  @Override
  public void update(double[] params, double[] gradient) {
    if (params.length != gradient.length) {
      throw new IllegalArgumentException("params " + params.length + " vs gradient " + gradient.length);
    }
    if (momentum == 0) {
      for (int i = 0; i < params.length; i++) {
        params[i] -= learningRate * gradient[i];
      }
      return;
    }
    if (velocity == null) {
      velocity = new double[params.length];
    } else if (velocity.length != params.length) {
      throw new IllegalArgumentException("optimizer state has length " + velocity.length + ", params " + params.length);
    }
    for (int i = 0; i < params.length; i++) {
      velocity[i] = momentum * velocity[i] + gradient[i];
      params[i] -= learningRate * velocity[i];
    }
  }
}
