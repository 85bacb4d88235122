package org.fedtel.privacy.aggregate;

import org.fedtel.privacy.noise.LaplaceNoise;

/**
 * ε-DP variance of entries clamped to [lower, upper], as in Google's BoundedVariance: ε/3 each for
 * a noisy count, a noisy sum of centred entries (sensitivity m·r, r = (upper−lower)/2) and a noisy
 * sum of their squares (sensitivity m·r²); variance = E[x²] − E[x]², clamped to [0, r²].
 */
public final class BoundedVariance {
  private final Settings s;
  private final Lifecycle life = new Lifecycle("BoundedVariance");
  private long count;
  private double centredSum;
  private double centredSquares;

  private BoundedVariance(Settings s) {
    this.s = s;
  }

  public static Builder builder() {
    return new Builder();
  }

  public void addEntry(double x) {
    life.checkEntry(x);
    double mid = s.lower + (s.upper - s.lower) / 2;
    double c = Math.max(s.lower, Math.min(s.upper, x)) - mid;
    centredSum += c;
    centredSquares += c * c;
    count++;
  }

  public double computeResult() {
    life.takeResult();
    LaplaceNoise noise = new LaplaceNoise(s.random);
    double third = s.epsilon / 3;
    double r = (s.upper - s.lower) / 2;
    long noisyCount = Math.max(1, noise.addNoise(count, s.maxContributions, third));
    double noisySum = noise.addNoise(centredSum, s.maxContributions * r, third);
    double noisySquares = noise.addNoise(centredSquares, s.maxContributions * r * r, third);
    double mean = Math.max(-r, Math.min(r, noisySum / noisyCount));
    double meanSquares = Math.max(0, Math.min(r * r, noisySquares / noisyCount));
    return Math.max(0, Math.min(r * r, meanSquares - mean * mean));
  }

  public static final class Builder extends AggregateBuilder.Bounded<Builder> {
    private Builder() {
      super("BoundedVariance");
    }

    public BoundedVariance build() {
      return new BoundedVariance(validated());
    }
  }
}
