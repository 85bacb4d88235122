package org.fedtel.ledger;

import java.util.List;

/**
 * What {@link LedgerAudit} established about a ledger that passed every check.
 *
 * @param entries number of entries
 * @param root Merkle root of all entries
 * @param checkpoints signed checkpoints verified against the recomputed roots
 * @param signedEntries size of the largest of them: the entries after it are covered by no signed
 *     root (0 when there is no checkpoint), which {@code fedtel ledger verify} warns about
 * @param cosignatures site cosignatures verified on those checkpoints
 * @param signatures data-use signatures verified (site and coordinator)
 * @param sites per-site privacy spend, recomputed
 * @param unprotectedUses data uses in privacy mode none (ε = ∞), flagged
 */
public record AuditReport(String consortiumId, String origin, long entries, byte[] root, int checkpoints,
    long signedEntries, int cosignatures, long signatures, List<SiteBudget> sites, long unprotectedUses) {
  public AuditReport {
    root = root.clone();
    sites = List.copyOf(sites);
  }

  @Override
  public byte[] root() {
    return root.clone();
  }

  /** A site's recomputed spend against its declared budget. */
  public record SiteBudget(String siteId, long dataUses, double spentEpsilon, double delta,
      double budgetEpsilon, double budgetDelta, boolean unprotected, boolean exhausted) {}
}
