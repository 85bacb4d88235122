package org.fedtel.ledger;

/** Untrusted ledger data (files, proofs, notes, checkpoints) failed a check. */
public class LedgerException extends Exception {
  private static final long serialVersionUID = 1L;

  public LedgerException(String message) {
    super(message);
  }

  public LedgerException(String message, Throwable cause) {
    super(message, cause);
  }
}
