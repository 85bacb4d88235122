package org.fedtel.ledger;

/** A ledger entry on disk is damaged or does not follow the rules; names the entry. */
public class CorruptLedgerException extends LedgerException {
  private static final long serialVersionUID = 1L;
  private final long entryIndex;

  public CorruptLedgerException(long entryIndex, String what) {
    super("ledger entry " + entryIndex + ": " + what);
    this.entryIndex = entryIndex;
  }

  /** Index of the first entry found to be wrong. */
  public long entryIndex() {
    return entryIndex;
  }
}
