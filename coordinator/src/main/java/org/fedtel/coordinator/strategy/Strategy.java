package org.fedtel.coordinator.strategy;

import java.util.List;

/**
 * How the coordinator turns a round's aggregate into the next global model, in the shape of
 * Flower's {@code Strategy}: {@link #configure} before a round, {@link #aggregate} after it, with
 * partial failure as an argument rather than an exception.
 *
 * <p>Unlike Flower, a strategy never sees an individual site's result: under secure aggregation
 * the coordinator learns only the weighted mean delta ({@link AggregatedUpdate}). Every strategy
 * here is a server optimizer over that pseudo-gradient (Reddi et al., "Adaptive Federated
 * Optimization", ICLR 2021, Algorithm 2), which needs nothing more.
 *
 * <p>A strategy instance is stateful (momentum buffers) and single-threaded; the round engine owns
 * it. Create instances with {@link Strategies#create}.
 */
public interface Strategy {
  /** The strategy's name as written in configuration files and state: "fedavg", "fedadam", ... */
  String name();

  /** Instructions for the sites' local training in {@code round}. */
  FitInstructions configure(long round);

  /**
   * The next global model after {@code round}.
   *
   * @param global the model the sites started from
   * @param update the securely aggregated mean delta of the survivors
   * @param failures sampled sites that contributed nothing, for strategies that care
   * @return a new array; {@code global} is not modified
   * @throws IllegalArgumentException if the update's length differs from the model's
   */
  double[] aggregate(long round, double[] global, AggregatedUpdate update, List<SiteFailure> failures);

  /** A copy of the optimizer state, for persistence. */
  StrategyState state();

  /**
   * Replaces the optimizer state with a persisted one.
   *
   * @throws IllegalArgumentException if the state belongs to another strategy or has the wrong shape
   */
  void restore(StrategyState state);
}
