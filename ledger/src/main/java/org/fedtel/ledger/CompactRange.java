package org.fedtel.ledger;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The right edge of a Merkle tree: the roots of its perfect subtrees, largest first. Enough to
 * append a leaf and to compute the root without keeping the tree (the auditor recomputes every root
 * from the entries alone with this).
 */
final class CompactRange {
  /** One digest per range (a range is used by one thread), rather than a thread-local lookup per hash. */
  private final MessageDigest md = MerkleTree.newSha256();
  private byte[][] hashes = new byte[64][];
  private int count;
  private long size;

  void append(byte[] leafHash) {
    byte[] h = leafHash;
    for (long n = size; (n & 1) == 1; n >>>= 1) {
      h = MerkleTree.nodeHash(md, hashes[--count], h);
    }
    hashes[count++] = h;
    size++;
  }

  long size() {
    return size;
  }

  byte[] root() {
    if (count == 0) {
      return MerkleTree.emptyRoot();
    }
    byte[] h = hashes[count - 1];
    for (int i = count - 2; i >= 0; i--) {
      h = MerkleTree.nodeHash(md, hashes[i], h);
    }
    return Arrays.copyOf(h, h.length);
  }
}
