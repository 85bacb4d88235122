package org.fedtel.ledger;

import java.security.MessageDigest;
import java.util.List;

/**
 * Verification of Merkle inclusion and consistency proofs, step by step as in RFC 9162 §2.1.3.2 and
 * §2.1.4.2. Every input is untrusted: wrong lengths, extra or missing elements and sizes that do
 * not fit all fail with a {@link ProofException} that says what was wrong.
 */
public final class MerkleProofs {
  private MerkleProofs() {}

  public static void verifyInclusion(long index, long size, byte[] leafHash, List<byte[]> proof, byte[] root)
      throws ProofException {
    checkHash("leaf hash", leafHash);
    checkHash("root", root);
    checkProof(proof);
    if (index < 0 || size < 0 || index >= size) {
      throw new ProofException("inclusion: index " + index + " is not inside a tree of size " + size);
    }
    long fn = index;
    long sn = size - 1;
    byte[] r = leafHash;
    for (int i = 0; i < proof.size(); i++) {
      byte[] p = proof.get(i);
      if (sn == 0) {
        throw new ProofException("inclusion: proof has more than the " + i + " elements a tree of size "
            + size + " needs for index " + index);
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = MerkleTree.nodeHash(p, r);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>>= 1;
          sn >>>= 1;
        }
      } else {
        r = MerkleTree.nodeHash(r, p);
      }
      fn >>>= 1;
      sn >>>= 1;
    }
    if (sn != 0) {
      throw new ProofException("inclusion: proof of " + proof.size() + " elements is too short for index "
          + index + " in a tree of size " + size);
    }
    if (!MessageDigest.isEqual(r, root)) {
      throw new ProofException("inclusion: computed root does not match for index " + index + " in a tree of size "
          + size);
    }
  }

  public static void verifyConsistency(long fromSize, long toSize, byte[] fromRoot, byte[] toRoot,
      List<byte[]> proof) throws ProofException {
    checkHash("first root", fromRoot);
    checkHash("second root", toRoot);
    checkProof(proof);
    if (fromSize < 0 || toSize < fromSize) {
      throw new ProofException("consistency: sizes " + fromSize + " -> " + toSize + " go backwards");
    }
    if (fromSize == toSize || fromSize == 0) {
      if (!proof.isEmpty()) {
        throw new ProofException("consistency: proof from " + fromSize + " to " + toSize + " must be empty, has "
            + proof.size() + " elements");
      }
      if (fromSize == 0 && !MessageDigest.isEqual(fromRoot, MerkleTree.emptyRoot())) {
        throw new ProofException("consistency: first root is not the empty-tree root for size 0");
      }
      if (fromSize == toSize && !MessageDigest.isEqual(fromRoot, toRoot)) {
        throw new ProofException("consistency: roots of the same size " + fromSize + " differ");
      }
      return;
    }
    if (proof.isEmpty()) {
      throw new ProofException("consistency: empty proof from " + fromSize + " to " + toSize);
    }
    int i = 0;
    byte[] first;
    // A power-of-two first tree is a complete subtree, so its root is the proof's implicit first node.
    if (Long.bitCount(fromSize) == 1) {
      first = fromRoot;
    } else {
      first = proof.get(i++);
    }
    long fn = fromSize - 1;
    long sn = toSize - 1;
    while ((fn & 1) == 1) {
      fn >>>= 1;
      sn >>>= 1;
    }
    byte[] fr = first;
    byte[] sr = first;
    for (; i < proof.size(); i++) {
      byte[] c = proof.get(i);
      if (sn == 0) {
        throw new ProofException("consistency: proof from " + fromSize + " to " + toSize + " has too many elements ("
            + proof.size() + ")");
      }
      if ((fn & 1) == 1 || fn == sn) {
        fr = MerkleTree.nodeHash(c, fr);
        sr = MerkleTree.nodeHash(c, sr);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>>= 1;
          sn >>>= 1;
        }
      } else {
        sr = MerkleTree.nodeHash(sr, c);
      }
      fn >>>= 1;
      sn >>>= 1;
    }
    if (sn != 0) {
      throw new ProofException("consistency: proof from " + fromSize + " to " + toSize + " is too short ("
          + proof.size() + " elements)");
    }
    if (!MessageDigest.isEqual(fr, fromRoot)) {
      throw new ProofException("consistency: proof does not reproduce the first root (size " + fromSize + ")");
    }
    if (!MessageDigest.isEqual(sr, toRoot)) {
      throw new ProofException("consistency: proof does not reproduce the second root (size " + toSize + ")");
    }
  }

  private static void checkHash(String what, byte[] h) throws ProofException {
    if (h == null || h.length != MerkleTree.HASH_LENGTH) {
      throw new ProofException(what + " must be 32 bytes, got " + (h == null ? "none" : h.length));
    }
  }

  private static void checkProof(List<byte[]> proof) throws ProofException {
    if (proof == null) {
      throw new ProofException("proof is missing");
    }
    if (proof.size() > 128) {
      throw new ProofException("proof has " + proof.size() + " elements; no tree needs more than 128");
    }
    for (int i = 0; i < proof.size(); i++) {
      byte[] p = proof.get(i);
      if (p == null || p.length != MerkleTree.HASH_LENGTH) {
        throw new ProofException("proof element " + i + " must be 32 bytes, got " + (p == null ? "none" : p.length));
      }
    }
  }
}
