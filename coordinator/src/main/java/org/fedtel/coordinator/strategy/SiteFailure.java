package org.fedtel.coordinator.strategy;

/**
 * A sampled site that contributed nothing to a round, and why (refused, dropped in a phase, cut at
 * a deadline). Failures are a normal part of a round, passed to the strategy, never thrown.
 */
public record SiteFailure(String siteId, String reason) {
  public SiteFailure {
    if (siteId == null || siteId.isEmpty()) {
      throw new IllegalArgumentException("siteId must be non-empty");
    }
    if (reason == null || reason.isEmpty()) {
      throw new IllegalArgumentException("a failure needs a reason");
    }
  }
}
