package org.fedtel.privacy.aggregate;

import org.fedtel.privacy.noise.LaplaceNoise;

/**
 * ε-DP sum of entries clamped to [lower, upper]: Laplace noise (secure, on a power-of-two grid) at
 * L1 sensitivity maxContributions·max(|lower|, |upper|).
 */
public final class BoundedSum {
  private final Settings s;
  private final Lifecycle life = new Lifecycle("BoundedSum");
  private double sum;

  private BoundedSum(Settings s) {
    this.s = s;
  }

  public static Builder builder() {
    return new Builder();
  }

  public void addEntry(double x) {
    life.checkEntry(x);
    sum += Math.max(s.lower, Math.min(s.upper, x));
  }

  public double computeResult() {
    life.takeResult();
    double sensitivity = s.maxContributions * Math.max(Math.abs(s.lower), Math.abs(s.upper));
    return new LaplaceNoise(s.random).addNoise(sum, sensitivity, s.epsilon);
  }

  public static final class Builder extends AggregateBuilder.Bounded<Builder> {
    private Builder() {
      super("BoundedSum");
    }

    public BoundedSum build() {
      return new BoundedSum(validated());
    }
  }
}
