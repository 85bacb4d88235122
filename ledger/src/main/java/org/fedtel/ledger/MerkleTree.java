package org.fedtel.ledger;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * A Merkle tree over ledger entries, hashed as in RFC 9162 §2.1 (RFC 6962 §2.1): leaf =
 * SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right), MTH of n leaves split at the largest
 * power of two below n. Every complete subtree hash is kept in a {@link HashStore}, so an append
 * hashes O(log n) nodes and a root, inclusion or consistency proof for any past size reads
 * O(log² n) stored hashes and never rebuilds the tree. Proofs are RFC 9162 §2.1.3.1 and §2.1.4.1.
 *
 * <p>Not thread-safe; {@link Ledger} serializes access.
 */
public final class MerkleTree {
  static final int HASH_LENGTH = 32;
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(MerkleTree::newSha256);
  private static final byte[] EMPTY_ROOT = newSha256().digest();

  private final HashStore store;
  private long size;

  MerkleTree(HashStore store, long size) {
    if (store.count() != HashStore.countFor(size)) {
      throw new IllegalArgumentException("hash store holds " + store.count() + " hashes, a tree of "
          + size + " leaves needs " + HashStore.countFor(size));
    }
    this.store = store;
    this.size = size;
  }

  /** An in-memory tree over {@code entries}. */
  public static MerkleTree of(List<byte[]> entries) {
    MerkleTree tree = new MerkleTree(new MemoryHashStore(), 0);
    for (byte[] e : entries) {
      tree.append(e);
    }
    return tree;
  }

  /** SHA-256(0x00 ‖ entry). */
  public static byte[] leafHash(byte[] entry) {
    return leafHash(SHA256.get(), entry);
  }

  /** {@link #leafHash(byte[])} with the caller's digest (a hot loop keeps one per thread). */
  static byte[] leafHash(MessageDigest md, byte[] entry) {
    md.update((byte) 0);
    md.update(entry);
    return md.digest();
  }

  /** SHA-256(0x01 ‖ left ‖ right). */
  public static byte[] nodeHash(byte[] left, byte[] right) {
    return nodeHash(SHA256.get(), left, right);
  }

  /** {@link #nodeHash(byte[], byte[])} with the caller's digest (a hot loop keeps one per thread). */
  static byte[] nodeHash(MessageDigest md, byte[] left, byte[] right) {
    if (left.length != HASH_LENGTH || right.length != HASH_LENGTH) {
      throw new IllegalArgumentException("node children must be 32-byte hashes, got " + left.length
          + " and " + right.length);
    }
    md.update((byte) 1);
    md.update(left);
    md.update(right);
    return md.digest();
  }

  /** Root of the empty tree, SHA-256 of the empty string. */
  static byte[] emptyRoot() {
    return EMPTY_ROOT.clone();
  }

  /** Appends one entry (its bytes as stored). */
  public void append(byte[] entry) {
    appendLeafHash(leafHash(entry));
  }

  /** Appends a leaf whose hash the caller already computed with {@link #leafHash}. */
  void appendLeafHash(byte[] leafHash) {
    if (leafHash.length != HASH_LENGTH) {
      throw new IllegalArgumentException("leaf hash must be 32 bytes, got " + leafHash.length);
    }
    long n = size;
    byte[] h = leafHash;
    store.add(h);
    // Leaf n completes one subtree per trailing one bit of n.
    for (int level = 0; ((n >>> level) & 1) == 1; level++) {
      byte[] left = store.get(HashStore.position(level, (n >>> level) - 1));
      h = nodeHash(left, h);
      store.add(h);
    }
    size = n + 1;
  }

  public long size() {
    return size;
  }

  /** Root of the whole tree. */
  public byte[] root() {
    return root(size);
  }

  /** Root of the first {@code size} leaves. */
  public byte[] root(long size) {
    checkSize(size);
    return size == 0 ? emptyRoot() : range(0, size);
  }

  /** Stored leaf hash of entry {@code index}. */
  byte[] leafHashAt(long index) {
    if (index < 0 || index >= size) {
      throw new IllegalArgumentException("leaf " + index + " outside a tree of size " + size);
    }
    return store.get(HashStore.position(0, index));
  }

  /** Audit path of leaf {@code index} in the tree of the first {@code size} leaves. */
  public List<byte[]> inclusionProof(long index, long size) {
    checkSize(size);
    if (index < 0 || index >= size) {
      throw new IllegalArgumentException("index " + index + " outside a tree of size " + size);
    }
    List<byte[]> out = new ArrayList<>();
    path(index, 0, size, out);
    return out;
  }

  /** Proof that the tree of size {@code fromSize} is a prefix of the tree of size {@code toSize}. */
  public List<byte[]> consistencyProof(long fromSize, long toSize) {
    checkSize(toSize);
    if (fromSize < 0 || fromSize > toSize) {
      throw new IllegalArgumentException("consistency from " + fromSize + " to " + toSize);
    }
    List<byte[]> out = new ArrayList<>();
    if (fromSize > 0 && fromSize < toSize) {
      subproof(fromSize, 0, toSize, true, out);
    }
    return out;
  }

  private void path(long m, long start, long end, List<byte[]> out) {
    long n = end - start;
    if (n == 1) {
      return;
    }
    long k = Long.highestOneBit(n - 1);
    if (m < k) {
      path(m, start, start + k, out);
      out.add(range(start + k, end));
    } else {
      path(m - k, start + k, end, out);
      out.add(range(start, start + k));
    }
  }

  private void subproof(long m, long start, long end, boolean complete, List<byte[]> out) {
    long n = end - start;
    if (m == n) {
      if (!complete) {
        out.add(range(start, end));
      }
      return;
    }
    long k = Long.highestOneBit(n - 1);
    if (m <= k) {
      subproof(m, start, start + k, complete, out);
      out.add(range(start + k, end));
    } else {
      subproof(m - k, start + k, end, false, out);
      out.add(range(start, start + k));
    }
  }

  /** MTH of leaves [start, end): one stored read when the range is a complete aligned subtree. */
  private byte[] range(long start, long end) {
    long n = end - start;
    if (Long.bitCount(n) == 1 && (start & (n - 1)) == 0) {
      int level = Long.numberOfTrailingZeros(n);
      return store.get(HashStore.position(level, start >>> level));
    }
    long k = Long.highestOneBit(n - 1);
    return nodeHash(range(start, start + k), range(start + k, end));
  }

  private void checkSize(long size) {
    if (size < 0 || size > this.size) {
      throw new IllegalArgumentException("size " + size + " outside 0.." + this.size);
    }
  }

  static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
