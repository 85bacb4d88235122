package org.fedtel.privacy.aggregate;

import java.util.random.RandomGenerator;

/**
 * The builder setters every aggregate shares, over one {@link Settings}. Each setting is settable
 * once (again: {@code IllegalStateException}); a bad value throws {@code IllegalArgumentException}
 * (a null random, {@code NullPointerException}); {@code build()} throws
 * {@code IllegalStateException} when a required setting is missing.
 *
 * @param <B> the aggregate's own builder, returned by every setter so calls chain
 */
abstract class AggregateBuilder<B extends AggregateBuilder<B>> {
  final Settings s;

  AggregateBuilder(String what, boolean bounded) {
    s = new Settings(what, bounded);
  }

  /** The privacy budget ε the result spends; finite and > 0. Required. */
  public B epsilon(double epsilon) {
    s.epsilon(epsilon);
    return self();
  }

  /** The most contributions one privacy unit makes; at least 1, default 1. */
  public B maxContributions(int n) {
    s.maxContributions(n);
    return self();
  }

  /** The noise's randomness. Required: use {@code SecureRandom} in production. */
  public B random(RandomGenerator random) {
    s.random(random);
    return self();
  }

  /** The settings, checked complete, for the aggregate being built. */
  final Settings validated() {
    s.validate();
    return s;
  }

  @SuppressWarnings("unchecked")
  final B self() {
    return (B) this;
  }

  /** Builders of aggregates over entries clamped to bounds. */
  abstract static class Bounded<B extends Bounded<B>> extends AggregateBuilder<B> {
    Bounded(String what) {
      super(what, true);
    }

    /** Entries are clamped to [lower, upper]; both finite, lower &lt; upper. Required. */
    public B bounds(double lower, double upper) {
      s.bounds(lower, upper);
      return self();
    }
  }
}
