package org.fedtel.privacy.accounting;

/** A recorded spend would take a site past its declared (ε, δ) budget. */
public final class BudgetExceededException extends Exception {
  private static final long serialVersionUID = 1L;

  public BudgetExceededException(String message) {
    super(message);
  }
}
