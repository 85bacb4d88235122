package org.fedtel.coordinator.strategy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Creates strategies by name with validated options; the only way to obtain a {@link Strategy}. */
public final class Strategies {
  /** Strategy names accepted by {@link #create}. */
  public static final List<String> NAMES = List.of("fedavg", "fedavgm", "fedprox", "fedadam", "fedyogi", "fedadagrad");

  private Strategies() {}

  public static Strategy fedAvg() {
    return new FedAvg("fedavg", 1.0, 0);
  }

  /** FedProx: FedAvg aggregation; sites add (mu / 2) * ||w - w_global||^2 to their local loss. */
  public static Strategy fedProx(double proximalMu) {
    if (!(proximalMu > 0)) {
      throw new IllegalArgumentException("FedProx needs proximal_mu > 0, got " + proximalMu);
    }
    return new FedAvg("fedprox", 1.0, proximalMu);
  }

  public static Strategy fedAvgM(double serverLearningRate, double momentum) {
    return new FedAvgM(serverLearningRate, momentum);
  }

  public static Strategy fedAdam(double eta, double beta1, double beta2, double tau) {
    return new AdaptiveServerOptimizer(AdaptiveServerOptimizer.Kind.ADAM, eta, beta1, beta2, tau);
  }

  public static Strategy fedYogi(double eta, double beta1, double beta2, double tau) {
    return new AdaptiveServerOptimizer(AdaptiveServerOptimizer.Kind.YOGI, eta, beta1, beta2, tau);
  }

  public static Strategy fedAdagrad(double eta, double beta1, double tau) {
    return new AdaptiveServerOptimizer(AdaptiveServerOptimizer.Kind.ADAGRAD, eta, beta1, 0, tau);
  }

  /**
   * A strategy from its configuration-file name and options. Options not given take the defaults
   * of Reddi et al. 2021 / Flower: server_learning_rate 1.0 (FedAvg, FedAvgM) or 0.1 (adaptive),
   * server_momentum 0.9, beta1 0.9, beta2 0.99, tau 1e-3, proximal_mu 0.01.
   *
   * @throws IllegalArgumentException naming the unknown strategy, the unknown option or the bad value
   */
  public static Strategy create(String name, Map<String, Double> options) {
    Set<String> allowed = switch (name) {
      case "fedavg" -> Set.of();
      case "fedprox" -> Set.of("proximal_mu");
      case "fedavgm" -> Set.of("server_learning_rate", "server_momentum");
      case "fedadam", "fedyogi" -> Set.of("server_learning_rate", "beta1", "beta2", "tau");
      case "fedadagrad" -> Set.of("server_learning_rate", "beta1", "tau");
      default -> throw new IllegalArgumentException("unknown strategy '" + name + "' (expected one of " + NAMES + ")");
    };
    for (String key : options.keySet()) {
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException(
            "strategy " + name + " has no option '" + key + "' (it takes " + new TreeSet<>(allowed) + ")");
      }
    }
    return switch (name) {
      case "fedavg" -> fedAvg();
      case "fedprox" -> fedProx(options.getOrDefault("proximal_mu", 0.01));
      case "fedavgm" -> fedAvgM(options.getOrDefault("server_learning_rate", 1.0), options.getOrDefault("server_momentum", 0.9));
      case "fedadam" -> fedAdam(options.getOrDefault("server_learning_rate", 0.1), options.getOrDefault("beta1", 0.9),
          options.getOrDefault("beta2", 0.99), options.getOrDefault("tau", 1e-3));
      case "fedyogi" -> fedYogi(options.getOrDefault("server_learning_rate", 0.1), options.getOrDefault("beta1", 0.9),
          options.getOrDefault("beta2", 0.99), options.getOrDefault("tau", 1e-3));
      default -> fedAdagrad(options.getOrDefault("server_learning_rate", 0.1), options.getOrDefault("beta1", 0.0),
          options.getOrDefault("tau", 1e-3));
    };
  }

  static double positive(String what, double value) {
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(what + " must be positive and finite, got " + value);
    }
    return value;
  }

  static double[] checkedDelta(double[] global, AggregatedUpdate update) {
    double[] delta = update.meanDelta();
    if (delta.length != global.length) {
      throw new IllegalArgumentException(
          "aggregate has " + delta.length + " parameters but the model has " + global.length);
    }
    return delta;
  }

  /** Validates a persisted state: its owner, and either no buffers or exactly {@code count} of equal length. */
  static List<double[]> checkState(StrategyState state, String name, int count) {
    if (!state.strategy().equals(name)) {
      throw new IllegalArgumentException("state of strategy '" + state.strategy() + "' cannot be restored into '" + name + "'");
    }
    List<double[]> buffers = state.buffers();
    if (!buffers.isEmpty() && buffers.size() != count) {
      throw new IllegalArgumentException(name + " state needs " + count + " buffers, got " + buffers.size());
    }
    for (double[] b : buffers) {
      if (b.length != buffers.get(0).length) {
        throw new IllegalArgumentException(name + " state buffers differ in length");
      }
      for (double x : b) {
        if (!Double.isFinite(x)) {
          throw new IllegalArgumentException(name + " state holds a non-finite value");
        }
      }
    }
    return buffers;
  }
}
