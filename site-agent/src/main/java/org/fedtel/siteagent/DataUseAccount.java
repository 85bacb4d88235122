package org.fedtel.siteagent;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.fedtel.privacy.accounting.SampledGaussian;

/**
 * The site's charges by round, and what it knows of their data-use records in the ledger. Its budget
 * ({@code PrivacyBudget}) counts every charge, whatever became of it: that is what the site enforces.
 * The cumulative ε it signs into each data use must instead equal what an auditor recomputes from the
 * ledger, so it leaves out the charges whose data use the coordinator says it never recorded — a site
 * that trained and charged, then lost the coordinator before its data use arrived (protocol
 * {@code DataUseStatus}). A charge without a {@code RoundResult} stays unconfirmed until the
 * coordinator answers on the next connection; until then it counts as recorded.
 *
 * <p>Shared by the sessions of one agent (one per connection); thread-safe.
 */
public final class DataUseAccount {
  private final TreeMap<Long, SampledGaussian> charges = new TreeMap<>();
  private final Set<Long> unconfirmed = new TreeSet<>();
  private final Set<Long> unrecorded = new HashSet<>();
  /** The highest round in which a session of this agent released a masked input, charged or not. */
  private long highestReleased;

  /** A charge from the site's durable state, whose outcome this process has not seen. */
  public synchronized void restore(long round, SampledGaussian charge) {
    charges.put(round, charge);
    unconfirmed.add(round);
  }

  /** A new charge; a round is charged once (a second charge would overwrite the first and undercount). */
  synchronized void charged(long round, SampledGaussian charge) {
    if (charges.containsKey(round)) {
      throw new IllegalStateException("round " + round + " is already charged (" + charges.get(round) + ")");
    }
    charges.put(round, charge);
    unconfirmed.add(round);
  }

  /** The highest round charged, restored or live; 0 if none. */
  synchronized long highestCharged() {
    return charges.isEmpty() ? 0 : charges.lastKey();
  }

  /**
   * A session is about to release a masked input in {@code round}, charged or not (privacy mode none).
   * Secure aggregation hides one input only among the others of the same run: a coordinator that
   * ran a round twice with the same input and different survivors would learn it from the difference
   * of the two sums, so no round is released twice, whatever its mode.
   */
  synchronized void released(long round) {
    if (round <= highestReleased) {
      throw new IllegalStateException("round " + round + " is not after round " + highestReleased
          + ", in which a masked input was already released");
    }
    highestReleased = round;
  }

  /** An uncharged release from the site's durable state ({@code SiteState.highestReleased}). */
  public synchronized void restoreReleased(long round) {
    highestReleased = Math.max(highestReleased, round);
  }

  /** The highest round in which a masked input was released (restored or live); 0 if none. */
  synchronized long highestReleased() {
    return highestReleased;
  }

  /** The round's result arrived: the coordinator recorded this site's data use before committing. */
  synchronized void confirmed(long round) {
    unconfirmed.remove(round);
  }

  /** Charged rounds whose data-use record's fate is unknown, ascending. */
  public synchronized List<Long> unconfirmed() {
    return new ArrayList<>(unconfirmed);
  }

  /** The coordinator's answer; rounds not awaiting one are ignored (a confirmed round stays recorded). */
  synchronized void status(List<Long> recorded, List<Long> notRecorded) {
    for (long r : recorded) {
      unconfirmed.remove(r);
    }
    for (long r : notRecorded) {
      if (unconfirmed.remove(r)) {
        unrecorded.add(r);
      }
    }
  }

  /** ε at {@code delta} of every charge but those the ledger is known to lack. */
  public synchronized double recordedEpsilon(double delta) {
    RdpAccountant a = new RdpAccountant();
    for (Map.Entry<Long, SampledGaussian> e : charges.entrySet()) {
      if (!unrecorded.contains(e.getKey())) {
        a.composeSampledGaussian(e.getValue().samplingRate(), e.getValue().noiseMultiplier(), e.getValue().steps());
      }
    }
    return a.epsilon(delta);
  }

  /** Rounds the coordinator said it holds no data use of (their charges stay in the budget). */
  public synchronized Set<Long> unrecorded() {
    return new TreeSet<>(unrecorded);
  }
}
