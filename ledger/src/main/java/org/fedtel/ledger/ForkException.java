package org.fedtel.ledger;

/** A witness was shown a checkpoint that conflicts with one it accepted; carries the evidence. */
public class ForkException extends LedgerException {
  private static final long serialVersionUID = 1L;
  private final transient ForkEvidence evidence;

  public ForkException(ForkEvidence evidence) {
    super("fork: " + evidence.reason());
    this.evidence = evidence;
  }

  public ForkEvidence evidence() {
    return evidence;
  }
}
