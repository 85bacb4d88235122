package org.fedtel.telemetry.model;

/**
 * A first-order optimizer over a flat parameter vector. Stateful optimizers (Adam) keep their
 * moment estimates between calls and are tied to one parameter vector.
 */
public interface Optimizer {
  /** Moves {@code params} in place against {@code gradient} (same length). */
  void update(double[] params, double[] gradient);
}
