package org.fedtel.simulations.experiment;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What one round of one run produced: one row of {@code results.csv}.
 *
 * @param runId the run's {@link RunSpec#id()}
 * @param round 1-based round number (for local-only and centralized runs: the epoch)
 * @param trainLoss mean training loss of the round
 * @param quality detection quality of the model after this round on the held-out split
 * @param epsilonPerSite epsilon spent so far by each site, in site order (empty without privacy)
 * @param sampled sites sampled for the round
 * @param survivors sites whose update reached the aggregate
 * @param droppedByPhase sampled sites that fell silent in each secure-aggregation phase (advertise,
 *     share, mask, unmask), stragglers included in mask
 * @param stragglersCut stragglers whose late masked input the coordinator refused
 * @param maxEpsilonChargedBySite the largest epsilon any site has charged to its own budget so far
 *     (at least {@link #maxEpsilon()}: a site also pays for rounds its input never reached)
 * @param roundMillis wall-clock time of the round
 * @param federatedStatistics whether the sites scaled their windows with the federation's scaling
 *     (fitted in the statistics rounds) rather than each with its own
 * @param federatedThreshold the federation's detection threshold the sites flagged with, or NaN when
 *     each site flagged above the 99th percentile of its own training scores
 */
public record RoundRecord(
    String runId, int round, double trainLoss, Quality quality, double[] epsilonPerSite, int sampled, int survivors,
    int[] droppedByPhase, int stragglersCut, double maxEpsilonChargedBySite, long roundMillis,
    boolean federatedStatistics, double federatedThreshold) {
  /** Phases of {@link #droppedByPhase()}, in order. */
  public static final java.util.List<String> PHASES = java.util.List.of("advertise", "share", "mask", "unmask");

  /** A round without dropout accounting (baselines). */
  public RoundRecord(String runId, int round, double trainLoss, Quality quality, double[] epsilonPerSite, int sampled,
                     int survivors, long roundMillis) {
    this(runId, round, trainLoss, quality, epsilonPerSite, sampled, survivors, new int[PHASES.size()], 0, 0, roundMillis);
  }

  /** A round in which each site scaled and thresholded on its own. */
  public RoundRecord(String runId, int round, double trainLoss, Quality quality, double[] epsilonPerSite, int sampled,
                     int survivors, int[] droppedByPhase, int stragglersCut, double maxEpsilonChargedBySite, long roundMillis) {
    this(runId, round, trainLoss, quality, epsilonPerSite, sampled, survivors, droppedByPhase, stragglersCut,
        maxEpsilonChargedBySite, roundMillis, false, Double.NaN);
  }

  public RoundRecord {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(quality, "quality");
    epsilonPerSite = epsilonPerSite.clone();
    droppedByPhase = droppedByPhase.clone();
    if (droppedByPhase.length != PHASES.size()) {
      throw new IllegalArgumentException("droppedByPhase needs " + PHASES.size() + " counts, got " + droppedByPhase.length);
    }
    if (stragglersCut < 0 || stragglersCut > droppedByPhase[2]) {
      throw new IllegalArgumentException("stragglersCut " + stragglersCut + " not in [0, dropped in mask=" + droppedByPhase[2] + "]");
    }
    if (!Double.isNaN(federatedThreshold) && (!federatedStatistics || !(federatedThreshold >= 0))) {
      throw new IllegalArgumentException("a federated threshold (" + federatedThreshold + ") needs federated statistics and must be >= 0");
    }
    if (round < 1) {
      throw new IllegalArgumentException("round must be >= 1, was " + round);
    }
    if (survivors > sampled || survivors < 0) {
      throw new IllegalArgumentException("survivors " + survivors + " not in [0, sampled=" + sampled + "]");
    }
  }

  @Override
  public double[] epsilonPerSite() {
    return epsilonPerSite.clone();
  }

  @Override
  public int[] droppedByPhase() {
    return droppedByPhase.clone();
  }

  /** Largest epsilon spent by any site so far (0 without privacy). */
  public double maxEpsilon() {
    double max = 0;
    for (double e : epsilonPerSite) {
      max = Math.max(max, e);
    }
    return max;
  }

  /**
   * Detection quality on held-out data.
   *
   * @param recallByType recall per anomaly type (sorted by type)
   */
  public record Quality(double f1, double precision, double recall, double rocAuc, double prAuc, Map<String, Double> recallByType) {
    public Quality {
      recallByType = Collections.unmodifiableMap(new TreeMap<>(recallByType));
    }
  }
}
