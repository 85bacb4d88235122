package org.fedtel.simulations.federation;

import org.fedtel.coordinator.strategy.Strategies;

/**
 * What every run of a sweep shares: the training recipe and the federation's shape.
 *
 * @param rounds rounds of federated training (for the baselines: the same number of training periods)
 * @param localEpochs local epochs per round
 * @param batchSize local batch size
 * @param learningRate local SGD learning rate
 * @param strategy server strategy, one of {@link Strategies#NAMES}
 * @param sampleRate share of the sites sampled per round (at least 3 sites are sampled)
 * @param clipNorm L2 clip norm of a site's update (distributed) or of an example's gradient (local)
 * @param modulusBits ring width of secure aggregation
 * @param federatedStatistics whether federated runs fit one scaling and the final model's threshold
 *     in the deployed federation's statistics rounds (docs/FEDERATION.md) instead of each site alone
 */
public record SimulationSettings(int rounds, int localEpochs, int batchSize, double learningRate, String strategy,
                                 double sampleRate, double clipNorm, int modulusBits, boolean federatedStatistics) {
  /** Without federated statistics: each site scales and thresholds on its own. */
  public SimulationSettings(int rounds, int localEpochs, int batchSize, double learningRate, String strategy,
                            double sampleRate, double clipNorm, int modulusBits) {
    this(rounds, localEpochs, batchSize, learningRate, strategy, sampleRate, clipNorm, modulusBits, false);
  }

  public SimulationSettings {
    if (rounds < 1) {
      throw new IllegalArgumentException("--rounds must be >= 1, was " + rounds);
    }
    if (localEpochs < 1) {
      throw new IllegalArgumentException("--local-epochs must be >= 1, was " + localEpochs);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("--batch-size must be >= 1, was " + batchSize);
    }
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException("--learning-rate must be positive, was " + learningRate);
    }
    if (!Strategies.NAMES.contains(strategy)) {
      throw new IllegalArgumentException("--strategy must be one of " + Strategies.NAMES + ", was '" + strategy + "'");
    }
    if (!(sampleRate > 0 && sampleRate <= 1)) {
      throw new IllegalArgumentException("--sample-rate must be in (0, 1], was " + sampleRate);
    }
    if (!(clipNorm > 0) || !Double.isFinite(clipNorm)) {
      throw new IllegalArgumentException("--clip must be positive, was " + clipNorm);
    }
  }

  /** These settings with federated statistics on or off. */
  public SimulationSettings withFederatedStatistics(boolean on) {
    return new SimulationSettings(rounds, localEpochs, batchSize, learningRate, strategy, sampleRate, clipNorm, modulusBits, on);
  }

  /** Sites sampled per round out of {@code sites}. */
  int sitesPerRound(int sites) {
    return Math.min(sites, Math.max(3, (int) Math.round(sampleRate * sites)));
  }
}
