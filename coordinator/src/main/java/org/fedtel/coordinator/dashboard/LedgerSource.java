package org.fedtel.coordinator.dashboard;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.LedgerEntries;
import org.fedtel.ledger.LedgerException;
import org.fedtel.ledger.MerkleTree;
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

  /**
   * A read-only snapshot of a ledger directory (an auditor's copy), read into memory once: the
   * complete entries, their Merkle tree recomputed from the stored bytes, and the stored
   * checkpoints. A torn tail (an incomplete last record) is left out. Nothing else is checked here;
   * {@code fedtel ledger verify} is the full audit.
   */
  static LedgerSource snapshot(Path dir) throws IOException, LedgerException {
    List<byte[]> entries = new ArrayList<>();
    LedgerEntries.read(dir, (index, entry, stored) -> entries.add(stored));
    MerkleTree tree = MerkleTree.of(entries);
    NavigableMap<Long, SignedNote> checkpoints = Collections.unmodifiableNavigableMap(new TreeMap<>(LedgerEntries.checkpoints(dir)));
    return new LedgerSource() {
      @Override
      public long size() {
        return entries.size();
      }

      @Override
      public byte[] entry(long index) {
        return entries.get(Math.toIntExact(index)).clone();
      }

      @Override
      public List<byte[]> inclusionProof(long index, long size) {
        synchronized (tree) {
          return tree.inclusionProof(index, size);
        }
      }

      @Override
      public NavigableMap<Long, SignedNote> checkpoints() {
        return checkpoints;
      }
    };
  }
}
