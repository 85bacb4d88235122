package org.fedtel.coordinator;

/** A round's secure aggregation cannot produce a sum (too few survivors or shares); the round aborts. */
public final class AggregationFailedException extends Exception {
  private static final long serialVersionUID = 1L;

  public AggregationFailedException(String message) {
    super(message);
  }
}
