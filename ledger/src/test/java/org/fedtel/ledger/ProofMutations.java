package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The mutation corpus of VECTORS.md: every verifier must reject each of these. */
final class ProofMutations {
  private ProofMutations() {}

  static void assertInclusionMutationsRejected(long index, long size, byte[] leaf, List<byte[]> proof, byte[] root) {
    try {
      MerkleProofs.verifyInclusion(index, size, leaf, proof, root);
    } catch (ProofException e) {
      fail("the unmutated proof must verify: " + e.getMessage());
    }
    for (List<byte[]> p : mutatedProofs(proof)) {
      rejectsInclusion(index, size, leaf, p, root);
    }
    rejectsInclusion(index + 1, size, leaf, proof, root);
    rejectsInclusion(index - 1, size, leaf, proof, root);
    rejectsInclusion(index, size * 2, leaf, proof, root);
    rejectsInclusion(index, size / 2, leaf, proof, root);
    for (int bit = 0; bit < 256; bit += 37) {
      rejectsInclusion(index, size, flip(leaf, bit), proof, root);
      rejectsInclusion(index, size, leaf, proof, flip(root, bit));
    }
    if (!Arrays.equals(leaf, root)) {
      rejectsInclusion(index, size, root, proof, leaf); // swapped
    }
    rejectsInclusion(index, size, leaf, proof, Arrays.copyOf(root, 33));
  }

  static void assertConsistencyMutationsRejected(long from, long to, byte[] fromRoot, byte[] toRoot, List<byte[]> proof) {
    try {
      MerkleProofs.verifyConsistency(from, to, fromRoot, toRoot, proof);
    } catch (ProofException e) {
      fail("the unmutated proof must verify: " + e.getMessage());
    }
    for (List<byte[]> p : mutatedProofs(proof)) {
      rejectsConsistency(from, to, fromRoot, toRoot, p);
    }
    if (!Arrays.equals(fromRoot, toRoot)) {
      rejectsConsistency(from, to, toRoot, fromRoot, proof);
    }
    for (int bit = 0; bit < 256; bit += 37) {
      rejectsConsistency(from, to, flip(fromRoot, bit), toRoot, proof);
      rejectsConsistency(from, to, fromRoot, flip(toRoot, bit), proof);
    }
    rejectsConsistency(from, to * 2, fromRoot, toRoot, proof);
    rejectsConsistency(from, to / 2, fromRoot, toRoot, proof);
    rejectsConsistency(from * 2, to, fromRoot, toRoot, proof);
    rejectsConsistency(from / 2, to, fromRoot, toRoot, proof);
    rejectsConsistency(from - 1, to, fromRoot, toRoot, proof);
    // Size ± 1 is not in the list: for some shapes (e.g. index 0 in sizes 5..8) the proof and the
    // roots alone cannot tell the sizes apart; the signed checkpoint binds the size to the root.
  }

  /** Every single bit flipped, each element dropped, an element added, each truncated, one grown. */
  static List<List<byte[]>> mutatedProofs(List<byte[]> proof) {
    List<List<byte[]>> out = new ArrayList<>();
    for (int i = 0; i < proof.size(); i++) {
      for (int bit = 0; bit < 256; bit++) {
        List<byte[]> p = new ArrayList<>(proof);
        p.set(i, flip(proof.get(i), bit));
        out.add(p);
      }
      List<byte[]> dropped = new ArrayList<>(proof);
      dropped.remove(i);
      out.add(dropped);
      List<byte[]> truncated = new ArrayList<>(proof);
      truncated.set(i, Arrays.copyOf(proof.get(i), 31));
      out.add(truncated);
      List<byte[]> garbage = new ArrayList<>(proof);
      garbage.set(i, Arrays.copyOf(proof.get(i), 33));
      out.add(garbage);
      List<byte[]> duplicated = new ArrayList<>(proof);
      duplicated.add(i, proof.get(i));
      out.add(duplicated);
    }
    List<byte[]> extra = new ArrayList<>(proof);
    extra.add(new byte[32]);
    out.add(extra);
    List<byte[]> extraFront = new ArrayList<>(proof);
    extraFront.add(0, MerkleTree.leafHash(new byte[] {42}));
    out.add(extraFront);
    return out;
  }

  static byte[] flip(byte[] b, int bit) {
    byte[] c = b.clone();
    c[bit / 8 % c.length] ^= (byte) (1 << (bit % 8));
    return c;
  }

  private static void rejectsInclusion(long index, long size, byte[] leaf, List<byte[]> proof, byte[] root) {
    assertThrows(ProofException.class, () -> MerkleProofs.verifyInclusion(index, size, leaf, proof, root),
        () -> "accepted a mutated inclusion proof: index " + index + " size " + size + " len " + proof.size());
  }

  private static void rejectsConsistency(long from, long to, byte[] fromRoot, byte[] toRoot, List<byte[]> proof) {
    assertThrows(ProofException.class, () -> MerkleProofs.verifyConsistency(from, to, fromRoot, toRoot, proof),
        () -> "accepted a mutated consistency proof: " + from + " -> " + to + " len " + proof.size());
  }
}
