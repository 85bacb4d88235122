package org.fedtel.simulations.generator;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What to generate. {@code nodesPerSite} is every site's size when {@code sizeSpread} is 0, and the
 * median size otherwise (sizes are log-normal: log10 of a site's size has standard deviation
 * {@code sizeSpread}). {@code anomalyRate} is the share of node-samples labelled anomalous;
 * {@code nonIidAlpha} is the concentration of the symmetric Dirichlet each site's application mix is
 * drawn from (small = each site runs a few applications, large = every site runs the same mix).
 */
public record GeneratorConfig(
    int sites,
    int nodesPerSite,
    long durationSeconds,
    int intervalSeconds,
    double anomalyRate,
    double nonIidAlpha,
    long seed,
    double sizeSpread,
    long startEpochSecond,
    List<AnomalyType> anomalyTypes,
    double intensityMin,
    double intensityMax) {

  /** 2026-01-01T00:00:00Z. */
  public static final long DEFAULT_START = 1_767_225_600L;
  /**
   * Largest node count of one site. A site being generated holds its schedule in memory, 8 bytes per
   * node-sample (a 20000-node site over one day at 10 s: 1.4 GB), one site per thread.
   */
  public static final int MAX_NODES_PER_SITE = 20_000;

  public GeneratorConfig {
    require(sites >= 1 && sites <= 1_000_000, "sites must be in [1, 1000000], was " + sites);
    require(nodesPerSite >= 1 && nodesPerSite <= MAX_NODES_PER_SITE,
        "nodes per site must be in [1, " + MAX_NODES_PER_SITE + "], was " + nodesPerSite);
    require(intervalSeconds >= 1 && intervalSeconds <= 3600, "interval must be in [1, 3600] s, was " + intervalSeconds);
    require(durationSeconds >= intervalSeconds, "duration (" + durationSeconds + " s) must be at least one interval ("
        + intervalSeconds + " s)");
    require(durationSeconds / intervalSeconds <= 10_000_000L, "duration / interval must be at most 10^7 samples per node");
    require(anomalyRate >= 0 && anomalyRate <= 0.5, "anomaly rate must be in [0, 0.5], was " + anomalyRate);
    require(nonIidAlpha > 0 && Double.isFinite(nonIidAlpha), "non-IID alpha must be > 0 and finite, was " + nonIidAlpha);
    require(sizeSpread >= 0 && sizeSpread <= 3, "size spread must be in [0, 3], was " + sizeSpread);
    require(startEpochSecond >= 0, "start must be >= 0, was " + startEpochSecond);
    require(anomalyTypes != null, "anomaly types are required");
    // An EnumSet fixes the order (declaration order) whatever order the caller gave.
    Set<AnomalyType> set = anomalyTypes.isEmpty() ? EnumSet.noneOf(AnomalyType.class) : EnumSet.copyOf(anomalyTypes);
    require(set.size() == anomalyTypes.size(), "anomaly types must not repeat: " + anomalyTypes);
    require(anomalyRate == 0 || !set.isEmpty(), "an anomaly rate > 0 needs at least one anomaly type");
    anomalyTypes = List.copyOf(set);
    require(intensityMin > 0 && intensityMin <= intensityMax && intensityMax <= 1,
        "intensity range must satisfy 0 < min <= max <= 1, was [" + intensityMin + ", " + intensityMax + "]");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Samples per node. */
  public int steps() {
    return (int) (durationSeconds / intervalSeconds);
  }

  /** Defaults: 4 sites of 16 nodes, one day at 10 s, 5 % anomalous, alpha 1, seed 1. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from the defaults of {@link #builder()}. */
  public static final class Builder {
    private int sites = 4;
    private int nodesPerSite = 16;
    private long durationSeconds = 86_400;
    private int intervalSeconds = 10;
    private double anomalyRate = 0.05;
    private double nonIidAlpha = 1.0;
    private long seed = 1;
    private double sizeSpread = 0;
    private long start = DEFAULT_START;
    private List<AnomalyType> types = List.of(AnomalyType.values());
    private double intensityMin = 0.2;
    private double intensityMax = 1.0;

    private Builder() {}

    public Builder sites(int v) { sites = v; return this; }
    public Builder nodesPerSite(int v) { nodesPerSite = v; return this; }
    public Builder durationSeconds(long v) { durationSeconds = v; return this; }
    public Builder intervalSeconds(int v) { intervalSeconds = v; return this; }
    public Builder anomalyRate(double v) { anomalyRate = v; return this; }
    public Builder nonIidAlpha(double v) { nonIidAlpha = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder sizeSpread(double v) { sizeSpread = v; return this; }
    public Builder startEpochSecond(long v) { start = v; return this; }
    public Builder anomalyTypes(List<AnomalyType> v) { types = v; return this; }
    public Builder intensity(double min, double max) { intensityMin = min; intensityMax = max; return this; }

    /** Validates and builds; throws {@link IllegalArgumentException} naming the bad value. */
    public GeneratorConfig build() {
      return new GeneratorConfig(sites, nodesPerSite, durationSeconds, intervalSeconds, anomalyRate, nonIidAlpha,
          seed, sizeSpread, start, types, intensityMin, intensityMax);
    }
  }
}
