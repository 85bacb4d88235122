package org.fedtel.ledger;

/**
 * Append-only sequence of 32-byte Merkle node hashes in the order they become complete: after leaf
 * n come the leaf hash and then every subtree that leaf n completes, lowest level first. The
 * position of node (level, k) is therefore fixed by arithmetic ({@link #position}), so any complete
 * subtree of any past tree size is one read.
 */
interface HashStore {
  /** Number of hashes stored. */
  long count();

  /** Hash at {@code position} (a fresh array). */
  byte[] get(long position);

  /** Appends one 32-byte hash. */
  void add(byte[] hash);

  /** Hashes stored for a tree of {@code leaves} leaves: 2n − popcount(n). */
  static long countFor(long leaves) {
    return 2 * leaves - Long.bitCount(leaves);
  }

  /** Position of the complete node at {@code level} whose leftmost leaf is {@code index << level}. */
  static long position(int level, long index) {
    long lastLeaf = ((index + 1) << level) - 1;
    return countFor(lastLeaf) + level;
  }
}
