package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Cross-check of the stored-hash tree against the RFC 9162 §2.1 definitions written as plain
 * recursion over the leaf list (MTH, PATH, SUBPROOF), for every size up to 300 and every index.
 */
class MerkleReferenceTest {
  private static final int MAX = 300;

  // Memoized by (leaf list, range) only to keep the run short; the recursion is the RFC's definition.
  private static final java.util.Map<List<byte[]>, java.util.Map<Long, byte[]>> MEMO = new java.util.IdentityHashMap<>();

  static byte[] mth(List<byte[]> leafHashes, int from, int to) {
    var memo = MEMO.computeIfAbsent(leafHashes, k -> new java.util.HashMap<>());
    long key = ((long) from << 32) | to;
    byte[] cached = memo.get(key);
    if (cached != null) {
      return cached;
    }
    byte[] h = mthUncached(leafHashes, from, to);
    memo.put(key, h);
    return h;
  }

  private static byte[] mthUncached(List<byte[]> leafHashes, int from, int to) {
    int n = to - from;
    if (n == 0) {
      return MerkleTree.newSha256().digest();
    }
    if (n == 1) {
      return leafHashes.get(from);
    }
    int k = 1;
    while (k * 2 < n) {
      k *= 2;
    }
    return MerkleTree.nodeHash(mth(leafHashes, from, from + k), mth(leafHashes, from + k, to));
  }

  static List<byte[]> path(int m, List<byte[]> h, int from, int to) {
    int n = to - from;
    List<byte[]> out = new ArrayList<>();
    if (n <= 1) {
      return out;
    }
    int k = 1;
    while (k * 2 < n) {
      k *= 2;
    }
    if (m < k) {
      out.addAll(path(m, h, from, from + k));
      out.add(mth(h, from + k, to));
    } else {
      out.addAll(path(m - k, h, from + k, to));
      out.add(mth(h, from, from + k));
    }
    return out;
  }

  static List<byte[]> subproof(int m, List<byte[]> h, int from, int to, boolean b) {
    int n = to - from;
    List<byte[]> out = new ArrayList<>();
    if (m == n) {
      if (!b) {
        out.add(mth(h, from, to));
      }
      return out;
    }
    int k = 1;
    while (k * 2 < n) {
      k *= 2;
    }
    if (m <= k) {
      out.addAll(subproof(m, h, from, from + k, b));
      out.add(mth(h, from + k, to));
    } else {
      out.addAll(subproof(m - k, h, from + k, to, false));
      out.add(mth(h, from, from + k));
    }
    return out;
  }

  static List<byte[]> randomEntries(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<byte[]> entries = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] e = new byte[r.nextInt(0, 40)];
      for (int j = 0; j < e.length; j++) {
        e[j] = (byte) r.nextInt(256);
      }
      entries.add(e);
    }
    return entries;
  }

  @Test
  void rootsAndInclusionProofsForEverySizeAndIndex() throws ProofException {
    List<byte[]> entries = randomEntries(MAX, 1);
    List<byte[]> leafHashes = new ArrayList<>();
    for (byte[] e : entries) {
      leafHashes.add(MerkleTree.leafHash(e));
    }
    MerkleTree tree = MerkleTree.of(entries);
    for (int size = 0; size <= MAX; size++) {
      byte[] root = mth(leafHashes, 0, size);
      assertArrayEquals(root, tree.root(size), "root " + size);
      for (int i = 0; i < size; i++) {
        List<byte[]> proof = tree.inclusionProof(i, size);
        List<byte[]> ref = path(i, leafHashes, 0, size);
        assertEquals(ref.size(), proof.size(), "proof length " + i + "/" + size);
        for (int j = 0; j < ref.size(); j++) {
          assertArrayEquals(ref.get(j), proof.get(j));
        }
        MerkleProofs.verifyInclusion(i, size, leafHashes.get(i), proof, root);
      }
    }
  }

  @Test
  void consistencyProofsForEveryPairOfSizes() throws ProofException {
    List<byte[]> entries = randomEntries(MAX, 2);
    List<byte[]> leafHashes = new ArrayList<>();
    for (byte[] e : entries) {
      leafHashes.add(MerkleTree.leafHash(e));
    }
    MerkleTree tree = MerkleTree.of(entries);
    byte[][] roots = new byte[MAX + 1][];
    for (int s = 0; s <= MAX; s++) {
      roots[s] = tree.root(s);
    }
    for (int to = 1; to <= MAX; to++) {
      for (int from = 1; from <= to; from++) {
        List<byte[]> proof = tree.consistencyProof(from, to);
        // The slow reference is O(n) per proof; compare it on every pair up to 120 and on every
        // pair whose larger size is a multiple of 7 beyond that.
        if (to <= 120 || to % 7 == 0) {
          List<byte[]> ref = from == to ? List.of() : subproof(from, leafHashes, 0, to, true);
          assertEquals(ref.size(), proof.size(), "proof length " + from + "->" + to);
          for (int j = 0; j < ref.size(); j++) {
            assertArrayEquals(ref.get(j), proof.get(j));
          }
        }
        MerkleProofs.verifyConsistency(from, to, roots[from], roots[to], proof);
      }
    }
  }

  @Test
  void mutationsOfGeneratedProofsAreRejected() {
    List<byte[]> entries = randomEntries(70, 3);
    MerkleTree tree = MerkleTree.of(entries);
    for (int size : new int[] {1, 2, 3, 7, 8, 9, 31, 32, 33, 70}) {
      for (int i = 0; i < size; i += Math.max(1, size / 5)) {
        ProofMutations.assertInclusionMutationsRejected(i, size, MerkleTree.leafHash(entries.get(i)),
            tree.inclusionProof(i, size), tree.root(size));
      }
      for (int from = 1; from <= size; from += Math.max(1, size / 4)) {
        ProofMutations.assertConsistencyMutationsRejected(from, size, tree.root(from), tree.root(size),
            tree.consistencyProof(from, size));
      }
    }
  }
}
