package org.fedtel.ledger;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * {@link EntryLog#scan} with all hashing on a second thread: reading, checksums, the leaf hash of
 * each entry and the Merkle tree's compact range (node hashes, and the roots of the sizes asked for)
 * overlap with the caller's per-entry checks. Entries (and any failure of the scan) reach the
 * visitor strictly in file order, so the first failing entry is still the one reported.
 */
final class HashedScan {
  private static final int CHUNK = 4096;

  private HashedScan() {}

  interface Visitor {
    /** {@code root} is the Merkle root of the first {@code index + 1} entries when that size was asked for, else null. */
    void entry(long index, long offset, byte[] bytes, byte[] leafHash, byte[] root) throws LedgerException;
  }

  /** How the scan ended, and the Merkle root of all its complete entries. */
  record Result(EntryLog.Scan scan, byte[] root) {}

  private static final class Chunk {
    final long[] offsets = new long[CHUNK];
    final byte[][] entries = new byte[CHUNK][];
    final byte[][] leaves = new byte[CHUNK][];
    final byte[][] roots = new byte[CHUNK][];
    long first;
    int count;
    EntryLog.Scan end;
    byte[] root;
    Exception failure;
  }

  /** Scans {@code file}; {@code rootSizes} (ascending) are the tree sizes whose roots the visitor gets. */
  static Result scan(Path file, long[] rootSizes, Visitor visitor) throws IOException, LedgerException {
    for (int i = 1; i < rootSizes.length; i++) {
      if (rootSizes[i] <= rootSizes[i - 1]) {
        throw new IllegalArgumentException("root sizes must be strictly ascending");
      }
    }
    long[] sizes = rootSizes.clone();
    BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(8);
    Thread producer = new Thread(() -> produce(file, sizes, queue), "ledger-scan");
    producer.setDaemon(true);
    producer.start();
    try {
      while (true) {
        Chunk c = queue.take();
        for (int i = 0; i < c.count; i++) {
          visitor.entry(c.first + i, c.offsets[i], c.entries[i], c.leaves[i], c.roots[i]);
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
          return new Result(c.end, c.root);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading the ledger");
    } finally {
      producer.interrupt();
    }
  }

  private static void produce(Path file, long[] rootSizes, BlockingQueue<Chunk> queue) {
    Chunk[] current = {new Chunk()};
    CompactRange range = new CompactRange();
    int[] nextSize = {0};
    try {
      EntryLog.Scan end = EntryLog.scan(file, (index, offset, bytes) -> {
        Chunk c = current[0];
        if (c.count == 0) {
          c.first = index;
        }
        c.offsets[c.count] = offset;
        c.entries[c.count] = bytes;
        byte[] leaf = MerkleTree.leafHash(bytes);
        c.leaves[c.count] = leaf;
        range.append(leaf);
        int k = nextSize[0];
        while (k < rootSizes.length && rootSizes[k] < range.size()) {
          k++;
        }
        if (k < rootSizes.length && rootSizes[k] == range.size()) {
          c.roots[c.count] = range.root();
          k++;
        }
        nextSize[0] = k;
        if (++c.count == CHUNK) {
          put(queue, c);
          current[0] = new Chunk();
        }
      });
      current[0].end = end;
      current[0].root = range.root();
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
