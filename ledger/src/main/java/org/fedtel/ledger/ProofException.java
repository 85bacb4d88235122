package org.fedtel.ledger;

/** A Merkle inclusion or consistency proof did not verify, or was malformed. */
public class ProofException extends LedgerException {
  private static final long serialVersionUID = 1L;

  public ProofException(String message) {
    super(message);
  }
}
