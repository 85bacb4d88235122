package org.fedtel.privacy.accounting;

/**
 * One site's declared (ε, δ) budget and the spend recorded against it, accounted with an
 * {@link RdpAccountant} (improved conversion). A spend that would take ε past the declared value is
 * refused with {@link BudgetExceededException} and leaves the budget unchanged.
 */
public final class PrivacyBudget {
  private final double epsilon;
  private final double delta;
  private final RdpAccountant spent = new RdpAccountant();

  public PrivacyBudget(double epsilon, double delta) {
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new IllegalArgumentException("declared epsilon must be finite and > 0, got " + epsilon);
    }
    RdpAccountant.checkDelta(delta);
    this.epsilon = epsilon;
    this.delta = delta;
  }

  public double declaredEpsilon() {
    return epsilon;
  }

  public double declaredDelta() {
    return delta;
  }

  /** ε spent so far at the declared δ. */
  public double spentEpsilon() {
    return spent.epsilon(delta);
  }

  /** ε left before the declared budget is reached (never negative). */
  public double remainingEpsilon() {
    return Math.max(0, epsilon - spentEpsilon());
  }

  /** Whether recording {@code next} would take the spend past the declared ε. */
  public boolean wouldExceed(SampledGaussian next) {
    return epsilonAfter(next) > epsilon;
  }

  /** ε that would be spent after {@code next}, without recording it. */
  public double epsilonAfter(SampledGaussian next) {
    RdpAccountant trial = new RdpAccountant().compose(spent);
    next.composeInto(trial);
    return trial.epsilon(delta);
  }

  /** Records {@code event}, or refuses (changing nothing) if it would overspend. */
  public void record(SampledGaussian event) throws BudgetExceededException {
    double after = epsilonAfter(event);
    if (after > epsilon) {
      throw new BudgetExceededException(String.format(java.util.Locale.ROOT,
          "privacy budget exceeded: %s would bring epsilon to %.6g, declared %.6g at delta %.3g",
          event, after, epsilon, delta));
    }
    event.composeInto(spent);
  }
}
