package org.fedtel.coordinator.dashboard;

import java.io.IOException;
import java.util.List;
import java.util.NavigableMap;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.LedgerException;
import org.fedtel.ledger.SignedNote;

/** What the dashboard reads from a ledger: stored entries, proofs and signed checkpoints. */
public interface LedgerSource {
  /** Number of durable entries. */
  long size();

  /** The entry at {@code index} exactly as stored. */
  byte[] entry(long index) throws IOException;

  /** RFC 9162 inclusion proof of entry {@code index} in the tree of the first {@code size} entries. */
  List<byte[]> inclusionProof(long index, long size);

  /** Signed checkpoints by tree size. */
  NavigableMap<Long, SignedNote> checkpoints() throws IOException, LedgerException;

  /** A live ledger, as the coordinator appends to it. */
  static LedgerSource of(Ledger ledger) {
    return new LedgerSource() {
      @Override
      public long size() {
        return ledger.size();
      }

      @Override
      public byte[] entry(long index) throws IOException {
        return ledger.entry(index);
      }

      @Override
      public List<byte[]> inclusionProof(long index, long size) {
        return ledger.inclusionProof(index, size);
      }

      @Override
      public NavigableMap<Long, SignedNote> checkpoints() throws IOException, LedgerException {
        return ledger.checkpoints();
      }
    };
  }
}
