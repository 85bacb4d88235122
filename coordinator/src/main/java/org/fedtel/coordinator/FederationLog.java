package org.fedtel.coordinator;

import java.util.List;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.v1.DataUseRecord;
import org.fedtel.protocol.v1.PrivacyParams;

/**
 * Where the round engine records what happens, as it happens (DESIGN.md section 4). The production
 * implementation appends to the ledger; every call returns only after the record is durable.
 */
public interface FederationLog {
  /** First contact of a site. @throws RejectedMessageException if the site is not a member this log can enrol */
  void siteEnrolled(String siteId, double budgetEpsilon, double budgetDelta) throws RejectedMessageException;

  void roundStarted(long round, List<String> participants, PrivacyParams privacy);

  /** A sampled site left out of a round because the round would overspend its budget. */
  void budgetExhausted(long round, String siteId, double spentEpsilon, double budgetEpsilon, String reason);

  /**
   * A site's signed record of one use of its data.
   *
   * @throws RejectedMessageException if the record is malformed, for another round or site, or its signature fails
   */
  void dataUse(long round, String siteId, DataUseRecord record) throws RejectedMessageException;

  void roundCommitted(long round, byte[] modelHash, List<String> survivors, List<String> dropped);

  void roundAborted(long round, String reason);

  /**
   * Every privacy charge already recorded for each site, in order (its data uses so far), so that a
   * restarted coordinator accounts each site's spend from where it stopped instead of from zero.
   * A log that keeps nothing across restarts returns an empty map.
   */
  default java.util.Map<String, List<org.fedtel.privacy.accounting.SampledGaussian>> recordedCharges() {
    return java.util.Map.of();
  }

  /** A site's budget as recorded when it was first enrolled. */
  record EnrolledBudget(double epsilon, double delta) {}

  /**
   * The budget {@code siteId} was enrolled with, which binds it for good (the auditor checks every
   * spend against it), or null if this log holds no enrolment of it (a log that keeps nothing).
   */
  default EnrolledBudget enrolledBudget(String siteId) {
    return null;
  }

  /**
   * The sites with a budget-exhausted record, so that a restarted coordinator never samples them
   * again (the auditor refuses any data use after one). A log that keeps nothing returns none.
   */
  default java.util.Set<String> exhaustedSites() {
    return java.util.Set.of();
  }

  /**
   * Whether the log holds a data use of {@code siteId} in {@code round}: the answer to a site that
   * charged a round without learning its outcome ({@code Hello.unconfirmed_rounds}). A log that keeps
   * nothing holds no data use.
   */
  default boolean hasDataUse(String siteId, long round) {
    return false;
  }

  /** The highest round with a roundStarted record, or 0; a restarted coordinator never reuses a round number. */
  long lastStartedRound();

  /** Whether {@code round} was started and has neither a committed nor an aborted record (interrupted). */
  boolean isOpen(long round);

  /**
   * Signs a checkpoint of everything recorded so far, after a committed round.
   *
   * @return the checkpoint to send to the round's survivors for cosigning, or null if this log has none
   */
  default org.fedtel.protocol.v1.Checkpoint checkpoint(long fromSize) {
    return null;
  }

  /** A site's cosignature of the checkpoint of {@code size}. @throws RejectedMessageException if it does not verify */
  default void cosignature(String siteId, long size, byte[] signatureLine) throws RejectedMessageException {
    throw new RejectedMessageException(RejectedMessageException.Reason.UNEXPECTED_MESSAGE, "this coordinator keeps no checkpoints");
  }
}
