package org.fedtel.coordinator;

import org.fedtel.privacy.accounting.BudgetExceededException;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.fedtel.privacy.accounting.SampledGaussian;
import org.fedtel.protocol.v1.Hello;

/** What the coordinator knows about one enrolled site. */
final class SiteRecord {
  final String id;
  long exampleCount;
  boolean connected;
  long lastSequence;
  /** When the site's last accepted message arrived (epoch millis), -1 before the first. */
  long lastSeenMillis = -1;
  /** Size of the last checkpoint the site reported or cosigned. */
  long checkpointSize;
  /** Recorded as budget-exhausted in the ledger: never sampled again (the auditor checks this). */
  boolean exhausted;
  /** DER certificate of the site's current connection (empty when the carrier has none, as in simulations). */
  byte[] certificate = new byte[0];
  private final PrivacyBudget budget;
  /** Every recorded data use of this site, composed (the auditor's view, at any δ). */
  private final RdpAccountant recorded = new RdpAccountant();

  /** The largest δ this site's data-use records may state: its enrolled δ (the auditor's limit). */
  private final double recordDeltaLimit;

  /**
   * @param enrolled the budget the log holds for the site from its first enrolment, which binds it
   *     (the auditor checks the spend against it); null if the log keeps none: then the Hello's
   */
  SiteRecord(String id, Hello hello, FederationLog.EnrolledBudget enrolled, double settingsDelta) {
    this.id = id;
    this.exampleCount = hello.getExampleCount();
    double eps = enrolled != null ? enrolled.epsilon() : hello.getBudgetEpsilon();
    double declaredDelta = enrolled != null ? enrolled.delta() : hello.getBudgetDelta();
    double delta = declaredDelta > 0 ? declaredDelta : settingsDelta;
    this.recordDeltaLimit = enrolled != null ? enrolled.delta() : delta;
    // A site that declares no budget (or an infinite one) is accounted but never refused.
    this.budget = eps > 0 && Double.isFinite(eps) && delta > 0 && delta < 1 ? new PrivacyBudget(eps, delta) : null;
  }

  double recordDeltaLimit() {
    return recordDeltaLimit;
  }

  void update(Hello hello) {
    exampleCount = hello.getExampleCount();
  }

  /** Why a round with {@code event} must leave this site out, or null if it may take part. */
  String refusal(SampledGaussian event) {
    if (budget == null || !budget.wouldExceed(event)) {
      return null;
    }
    return String.format(java.util.Locale.ROOT, "budget: round would bring epsilon to %.4g, declared %.4g",
        budget.epsilonAfter(event), budget.declaredEpsilon());
  }

  void spend(SampledGaussian event) throws BudgetExceededException {
    recorded.composeSampledGaussian(event.samplingRate(), event.noiseMultiplier(), event.steps());
    if (budget != null) {
      budget.record(event);
    }
  }

  /**
   * The RDP of every data use recorded for this site (restored from the log, then each one as it is
   * recorded) composed with {@code next}: what the auditor recomputes the cumulative ε of a record
   * stating {@code next} from. {@code this} is not changed.
   */
  RdpAccountant recordedWith(SampledGaussian next) {
    return new RdpAccountant().compose(recorded)
        .composeSampledGaussian(next.samplingRate(), next.noiseMultiplier(), next.steps());
  }

  double budgetEpsilon() {
    return budget == null ? Double.POSITIVE_INFINITY : budget.declaredEpsilon();
  }

  double spentEpsilon() {
    return budget == null ? 0 : budget.spentEpsilon();
  }
}
