package org.fedtel.ledger;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * {@link EntryLog#scan} with leaf hashing on a second thread: reading, checksums and SHA-256 of each
 * entry overlap with the caller's per-entry checks. Entries (and any failure of the scan) reach the
 * visitor strictly in file order, so the first failing entry is still the one reported.
 */
final class HashedScan {
  private static final int CHUNK = 4096;

  private HashedScan() {}

  interface Visitor {
    /** The entry's leaf hash is {@code leaves[leafOffset, leafOffset + 32)} (valid during this call only). */
    void entry(long index, long offset, byte[] bytes, byte[] leaves, int leafOffset) throws LedgerException;
  }

  private static final class Chunk {
    final long[] offsets = new long[CHUNK];
    final byte[][] entries = new byte[CHUNK][];
    /** Leaf hashes back to back: one array per chunk rather than one per entry. */
    final byte[] leaves = new byte[CHUNK * MerkleTree.HASH_LENGTH];
    long first;
    int count;
    EntryLog.Scan end;
    Exception failure;
  }

  static EntryLog.Scan scan(Path file, Visitor visitor) throws IOException, LedgerException {
    BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(8);
    Thread producer = new Thread(() -> produce(file, queue), "ledger-scan");
    producer.setDaemon(true);
    producer.start();
    try {
      while (true) {
        Chunk c = queue.take();
        for (int i = 0; i < c.count; i++) {
          visitor.entry(c.first + i, c.offsets[i], c.entries[i], c.leaves, i * MerkleTree.HASH_LENGTH);
        }
        if (c.failure instanceof LedgerException e) {
          throw e;
        }
        if (c.failure instanceof IOException e) {
          throw e;
        }
        if (c.failure != null) {
          throw new IllegalStateException("ledger scan failed", c.failure);
        }
        if (c.end != null) {
          return c.end;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading the ledger");
    } finally {
      producer.interrupt();
    }
  }

  private static void produce(Path file, BlockingQueue<Chunk> queue) {
    Chunk[] current = {new Chunk()};
    MessageDigest md = MerkleTree.newSha256(); // one per thread, no thread-local lookup per entry
    try {
      EntryLog.Scan end = EntryLog.scan(file, (index, offset, bytes) -> {
        Chunk c = current[0];
        if (c.count == 0) {
          c.first = index;
        }
        c.offsets[c.count] = offset;
        c.entries[c.count] = bytes;
        md.update((byte) 0); // SHA-256(0x00 ‖ entry), as MerkleTree.leafHash
        md.update(bytes);
        try {
          md.digest(c.leaves, c.count * MerkleTree.HASH_LENGTH, MerkleTree.HASH_LENGTH);
        } catch (DigestException e) {
          throw new IllegalStateException("SHA-256 output does not fit 32 bytes", e);
        }
        if (++c.count == CHUNK) {
          put(queue, c);
          current[0] = new Chunk();
        }
      });
      current[0].end = end;
    } catch (Exception e) {
      current[0].failure = e;
    }
    try {
      queue.put(current[0]);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void put(BlockingQueue<Chunk> queue, Chunk c) throws LedgerException {
    try {
      queue.put(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LedgerException("scan cancelled");
    }
  }
}
