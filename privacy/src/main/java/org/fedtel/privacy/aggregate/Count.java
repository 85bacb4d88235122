package org.fedtel.privacy.aggregate;

import org.fedtel.privacy.noise.LaplaceNoise;

/**
 * ε-DP count: the exact count plus discrete Laplace noise with parameter ε/maxContributions (each
 * privacy unit contributes at most maxContributions increments). Shape after Google's
 * differential-privacy library ({@code Count.builder()...build()}, result taken once).
 */
public final class Count {
  private final Settings s;
  private final Lifecycle life = new Lifecycle("Count");
  private long count;

  private Count(Settings s) {
    this.s = s;
  }

  public static Builder builder() {
    return new Builder();
  }

  public void increment() {
    incrementBy(1);
  }

  /** Adds {@code n} ≥ 0 to the count (the caller bounds one unit's total by maxContributions). */
  public void incrementBy(long n) {
    life.checkAccumulating();
    if (n < 0) {
      throw new IllegalArgumentException("Count: increment must be >= 0, got " + n);
    }
    count = Math.addExact(count, n);
  }

  /** The noisy count; callable once. */
  public long computeResult() {
    life.takeResult();
    return new LaplaceNoise(s.random).addNoise(count, s.maxContributions, s.epsilon);
  }

  public static final class Builder extends AggregateBuilder<Builder> {
    private Builder() {
      super("Count", false);
    }

    public Count build() {
      return new Count(validated());
    }
  }
}
