package org.fedtel.coordinator;

import java.time.Duration;
import org.fedtel.protocol.v1.PrivacyMode;

/**
 * How the coordinator runs rounds; validated on construction with messages that name the key of
 * the configuration file.
 *
 * @param rounds number of training rounds to run
 * @param sitesPerRound sites sampled per round (all connected sites if larger)
 * @param minParticipants fewest survivors with which a round may commit (and the Shamir threshold)
 * @param phaseTimeout deadline of each phase; sites that have not answered by then are dropped
 * @param privacyMode none, local or distributed
 * @param clipNorm L2 clip norm C (per example in local mode, per update in distributed mode)
 * @param noiseMultiplier z: noise std is z * C
 * @param delta the delta at which epsilon is reported and budgets are checked
 * @param localEpochs local epochs per round
 * @param batchSize local batch size
 * @param learningRate local learning rate
 * @param modulusBits ring width k of secure aggregation
 * @param neighbours SecAgg+ neighbour count (0 = complete graph)
 * @param statistics the federated statistics rounds (scaling and threshold), or {@link StatisticsSettings#OFF}
 */
public record RoundSettings(
    int rounds,
    int sitesPerRound,
    int minParticipants,
    Duration phaseTimeout,
    PrivacyMode privacyMode,
    double clipNorm,
    double noiseMultiplier,
    double delta,
    int localEpochs,
    int batchSize,
    double learningRate,
    int modulusBits,
    int neighbours,
    StatisticsSettings statistics) {
  /** Without federated statistics rounds. */
  public RoundSettings(int rounds, int sitesPerRound, int minParticipants, Duration phaseTimeout, PrivacyMode privacyMode,
                       double clipNorm, double noiseMultiplier, double delta, int localEpochs, int batchSize, double learningRate,
                       int modulusBits, int neighbours) {
    this(rounds, sitesPerRound, minParticipants, phaseTimeout, privacyMode, clipNorm, noiseMultiplier, delta, localEpochs,
        batchSize, learningRate, modulusBits, neighbours, StatisticsSettings.OFF);
  }

  /** These settings with {@code statistics}. */
  public RoundSettings withStatistics(StatisticsSettings statistics) {
    return new RoundSettings(rounds, sitesPerRound, minParticipants, phaseTimeout, privacyMode, clipNorm, noiseMultiplier, delta,
        localEpochs, batchSize, learningRate, modulusBits, neighbours, statistics);
  }

  public RoundSettings {
    require(statistics != null, "statistics settings must not be null (StatisticsSettings.OFF for none)");
    require(rounds >= 1, "rounds must be >= 1, got " + rounds);
    require(minParticipants >= 2, "min_participants must be >= 2 (secure aggregation hides nothing with one site), got " + minParticipants);
    require(sitesPerRound >= minParticipants, "sites_per_round (" + sitesPerRound + ") must be >= min_participants (" + minParticipants + ")");
    require(phaseTimeout != null && !phaseTimeout.isNegative() && !phaseTimeout.isZero(), "phase_timeout must be positive");
    require(privacyMode == PrivacyMode.PRIVACY_MODE_NONE || privacyMode == PrivacyMode.PRIVACY_MODE_LOCAL
        || privacyMode == PrivacyMode.PRIVACY_MODE_DISTRIBUTED, "privacy mode must be none, local or distributed");
    if (privacyMode != PrivacyMode.PRIVACY_MODE_NONE) {
      require(clipNorm > 0 && Double.isFinite(clipNorm), "clip_norm must be positive, got " + clipNorm);
      require(noiseMultiplier > 0 && Double.isFinite(noiseMultiplier), "noise_multiplier must be positive, got " + noiseMultiplier);
      require(delta > 0 && delta < 1, "delta must be in (0, 1), got " + delta);
    }
    require(localEpochs >= 1, "local_epochs must be >= 1, got " + localEpochs);
    require(batchSize >= 1, "batch_size must be >= 1, got " + batchSize);
    require(learningRate > 0 && Double.isFinite(learningRate), "learning_rate must be positive, got " + learningRate);
    require(modulusBits >= 16 && modulusBits <= 64, "modulus_bits must be in [16, 64], got " + modulusBits);
    require(neighbours >= 0, "neighbours must be >= 0, got " + neighbours);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
