package org.fedtel.coordinator.dashboard;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What only a running coordinator knows: connections, the round in progress, training metrics. The
 * offline dashboard of a ledger copy ({@code fedtel ledger serve}) has none of this.
 */
public interface LiveSource {
  /** A site's connection. {@code lastSeenEpochMillis} is -1 if the site was never seen. */
  record SiteLink(String siteId, boolean connected, long lastSeenEpochMillis) {}

  /** The round in progress. */
  record RoundProgress(long round, String phase, int sampled, int responded, long startedEpochMillis) {}

  /** Training metrics of a finished round (loss and any named metrics, e.g. F1 on validation data). */
  record RoundStats(long round, double trainLoss, Map<String, Double> metrics) {
    public RoundStats {
      metrics = Map.copyOf(metrics);
    }
  }

  List<SiteLink> sites();

  Optional<RoundProgress> currentRound();

  List<RoundStats> roundStats();

  /** Bytes received and sent on the wire port so far. */
  long bytesIn();

  long bytesOut();
}
