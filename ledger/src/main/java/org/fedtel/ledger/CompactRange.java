package org.fedtel.ledger;

import java.security.DigestException;
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
  /** The subtree roots, 32 bytes each, largest first; hashed in place (no allocation per append). */
  private final byte[] hashes = new byte[64 * HASH];
  private final byte[] carry = new byte[HASH];
  private int count;
  private long size;

  private static final int HASH = MerkleTree.HASH_LENGTH;

  void append(byte[] leafHash) {
    append(leafHash, 0);
  }

  /** Appends the leaf hash at {@code leaves[offset, offset + 32)}. */
  void append(byte[] leaves, int offset) {
    appendSubtree(leaves, offset, 0);
  }

  /**
   * Appends a perfect subtree of 2^level leaves whose root hash is {@code hashes[offset, offset + 32)};
   * the range's size must be a multiple of 2^level (the subtree is aligned, as in the full tree).
   */
  void appendSubtree(byte[] hashes, int offset, int level) {
    if (level < 0 || level > 62 || (size & ((1L << level) - 1)) != 0) {
      throw new IllegalArgumentException("a subtree of level " + level + " cannot follow " + size + " leaves");
    }
    System.arraycopy(hashes, offset, carry, 0, HASH);
    // The stored subtrees are the set bits of size, the smallest last: merge while it has this level.
    for (long n = size >>> level; (n & 1) == 1; n >>>= 1) {
      // SHA-256(0x01 ‖ left ‖ right), as MerkleTree.nodeHash, written over the right child.
      md.update((byte) 1);
      md.update(this.hashes, --count * HASH, HASH);
      md.update(carry, 0, HASH);
      digestInto(carry);
    }
    System.arraycopy(carry, 0, this.hashes, count++ * HASH, HASH);
    size += 1L << level;
  }

  /** An independent range with the same leaves (to take the root of a size inside a chunk). */
  CompactRange copy() {
    CompactRange c = new CompactRange();
    System.arraycopy(hashes, 0, c.hashes, 0, count * HASH);
    c.count = count;
    c.size = size;
    return c;
  }

  private void digestInto(byte[] out) {
    try {
      md.digest(out, 0, HASH);
    } catch (DigestException e) {
      throw new IllegalStateException("SHA-256 output does not fit 32 bytes", e);
    }
  }

  long size() {
    return size;
  }

  byte[] root() {
    if (count == 0) {
      return MerkleTree.emptyRoot();
    }
    byte[] h = Arrays.copyOfRange(hashes, (count - 1) * HASH, count * HASH);
    for (int i = count - 2; i >= 0; i--) {
      h = MerkleTree.nodeHash(md, Arrays.copyOfRange(hashes, i * HASH, (i + 1) * HASH), h);
    }
    return h;
  }
}
