package org.fedtel.ledger;

/** A signed note or checkpoint is malformed, or a signature on it does not verify. */
public class NoteException extends LedgerException {
  private static final long serialVersionUID = 1L;

  public NoteException(String message) {
    super(message);
  }

  public NoteException(String message, Throwable cause) {
    super(message, cause);
  }
}
