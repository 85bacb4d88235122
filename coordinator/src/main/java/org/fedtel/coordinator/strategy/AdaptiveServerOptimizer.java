package org.fedtel.coordinator.strategy;

import java.util.List;

/**
 * FedAdagrad, FedAdam and FedYogi exactly as Algorithm 2 of Reddi et al., "Adaptive Federated
 * Optimization" (ICLR 2021): with the pseudo-gradient delta,
 *
 * <pre>
 *   m = beta1 * m + (1 - beta1) * delta
 *   v = v + delta^2                                        (Adagrad)
 *   v = beta2 * v + (1 - beta2) * delta^2                  (Adam)
 *   v = v - (1 - beta2) * delta^2 * sign(v - delta^2)      (Yogi)
 *   x = x + eta * m / (sqrt(v) + tau)
 * </pre>
 *
 * As in the paper there is no bias correction, m starts at 0 and v at tau^2 (the paper requires
 * v_{-1} >= tau^2; Flower starts at 0, which makes the first step larger).
 */
final class AdaptiveServerOptimizer implements Strategy {
  enum Kind {
    ADAGRAD("fedadagrad"),
    ADAM("fedadam"),
    YOGI("fedyogi");

    final String strategyName;

    Kind(String strategyName) {
      this.strategyName = strategyName;
    }
  }

  private final Kind kind;
  private final double eta;
  private final double beta1;
  private final double beta2;
  private final double tau;
  private double[] m;
  private double[] v;

  AdaptiveServerOptimizer(Kind kind, double eta, double beta1, double beta2, double tau) {
    this.kind = kind;
    this.eta = Strategies.positive("server_learning_rate", eta);
    if (!(beta1 >= 0 && beta1 < 1)) {
      throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
    }
    if (!(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
    }
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.tau = Strategies.positive("tau", tau);
  }

  @Override
  public String name() {
    return kind.strategyName;
  }

  @Override
  public FitInstructions configure(long round) {
    return FitInstructions.PLAIN;
  }

  @Override
  public double[] aggregate(long round, double[] global, AggregatedUpdate update, List<SiteFailure> failures) {
    double[] delta = Strategies.checkedDelta(global, update);
    int n = global.length;
    if (m == null) {
      m = new double[n];
      v = new double[n];
      java.util.Arrays.fill(v, tau * tau);
    } else if (m.length != n) {
      throw new IllegalArgumentException("model length " + n + " differs from optimizer state length " + m.length);
    }
    double[] next = new double[n];
    for (int i = 0; i < n; i++) {
      double d = delta[i];
      double d2 = d * d;
      m[i] = beta1 * m[i] + (1 - beta1) * d;
      switch (kind) {
        case ADAGRAD -> v[i] = v[i] + d2;
        case ADAM -> v[i] = beta2 * v[i] + (1 - beta2) * d2;
        case YOGI -> v[i] = v[i] - (1 - beta2) * d2 * Math.signum(v[i] - d2);
        default -> throw new AssertionError(kind);
      }
      next[i] = global[i] + eta * m[i] / (Math.sqrt(v[i]) + tau);
    }
    return next;
  }

  @Override
  public StrategyState state() {
    return new StrategyState(name(), m == null ? List.of() : List.of(m, v));
  }

  @Override
  public void restore(StrategyState state) {
    List<double[]> buffers = Strategies.checkState(state, name(), 2);
    if (buffers.isEmpty()) {
      m = null;
      v = null;
    } else {
      m = buffers.get(0);
      v = buffers.get(1);
    }
  }
}
