package org.fedtel.ledger;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.TreeMap;
import org.fedtel.ledger.v1.Entry;

/**
 * Read-only access to a ledger directory for tools (show, prove): entries in order and the Merkle
 * tree recomputed from their stored bytes. Safe while a writer appends: a record still being
 * written at the end is not returned. Checks nothing beyond record checksums; {@link LedgerAudit}
 * is the full check.
 */
public final class LedgerEntries {
  private LedgerEntries() {}

  /** Receives each entry with its stored bytes. */
  public interface Visitor {
    void entry(long index, Entry entry, byte[] stored) throws LedgerException;
  }

  /**
   * Visits every complete entry; returns the description of an incomplete tail, if any.
   */
  public static Optional<String> read(Path dir, Visitor visitor) throws IOException, LedgerException {
    Path file = dir.resolve(EntryLog.FILE);
    if (!Files.isRegularFile(file)) {
      throw new LedgerException(dir + " is not a ledger: " + EntryLog.FILE + " is missing");
    }
    EntryLog.Scan scan = EntryLog.scan(file, (index, offset, bytes) -> {
      Entry e;
      try {
        e = Entry.parseFrom(bytes);
      } catch (InvalidProtocolBufferException ex) {
        throw new CorruptLedgerException(index, "not a valid entry: " + ex.getMessage());
      }
      visitor.entry(index, e, bytes);
    });
    return Optional.ofNullable(scan.tornTail());
  }

  /** The Merkle tree of the complete entries, recomputed from their stored bytes (in memory). */
  public static MerkleTree tree(Path dir) throws IOException, LedgerException {
    MerkleTree t = new MerkleTree(new MemoryHashStore(), 0);
    EntryLog.scan(dir.resolve(EntryLog.FILE), (index, offset, bytes) -> t.appendLeafHash(MerkleTree.leafHash(bytes)));
    return t;
  }

  /** Stored checkpoints by size. */
  public static TreeMap<Long, SignedNote> checkpoints(Path dir) throws IOException, LedgerException {
    return Checkpoints.readAll(dir);
  }
}
