package org.fedtel.privacy.aggregate;

import org.fedtel.privacy.noise.LaplaceNoise;

/**
 * ε-DP mean of entries clamped to [lower, upper], as in Google's BoundedMean (and Li et al.,
 * "Differential Privacy: From Theory to Practice", §2.5): ε/2 for a noisy count and ε/2 for a noisy
 * sum of entries centred on the midpoint (sensitivity maxContributions·(upper−lower)/2); the mean is
 * midpoint + sum/max(1, count), clamped to the bounds.
 */
public final class BoundedMean {
  private final Settings s;
  private final Lifecycle life = new Lifecycle("BoundedMean");
  private long count;
  private double centredSum;

  private BoundedMean(Settings s) {
    this.s = s;
  }

  public static Builder builder() {
    return new Builder();
  }

  public void addEntry(double x) {
    life.checkEntry(x);
    double mid = s.lower + (s.upper - s.lower) / 2;
    centredSum += Math.max(s.lower, Math.min(s.upper, x)) - mid;
    count++;
  }

  public double computeResult() {
    life.takeResult();
    LaplaceNoise noise = new LaplaceNoise(s.random);
    double half = s.epsilon / 2;
    double mid = s.lower + (s.upper - s.lower) / 2;
    long noisyCount = Math.max(1, noise.addNoise(count, s.maxContributions, half));
    double noisySum = noise.addNoise(centredSum, s.maxContributions * (s.upper - s.lower) / 2, half);
    return Math.max(s.lower, Math.min(s.upper, mid + noisySum / noisyCount));
  }

  public static final class Builder extends AggregateBuilder.Bounded<Builder> {
    private Builder() {
      super("BoundedMean");
    }

    public BoundedMean build() {
      return new BoundedMean(validated());
    }
  }
}
