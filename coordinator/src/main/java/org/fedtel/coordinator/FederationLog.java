package org.fedtel.coordinator;

import java.util.List;
import org.fedtel.protocol.v1.DataUseRecord;
import org.fedtel.protocol.v1.PrivacyParams;

/**
 * Where the round engine records what happens, as it happens (DESIGN.md section 4). The production
 * implementation appends to the ledger; every call returns only after the record is durable.
 */
public interface FederationLog {
  void siteEnrolled(String siteId, double budgetEpsilon, double budgetDelta);

  void roundStarted(long round, List<String> participants, PrivacyParams privacy);

  /** A sampled site left out of a round because the round would overspend its budget. */
  void budgetExhausted(long round, String siteId, String reason);

  void dataUse(long round, String siteId, DataUseRecord record);

  void roundCommitted(long round, byte[] modelHash, List<String> survivors, List<String> dropped);

  void roundAborted(long round, String reason);

  /** The highest round with a roundStarted record, or 0; used on restart to find an interrupted round. */
  long lastStartedRound();
}
