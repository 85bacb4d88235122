package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fedtel.crypto.SigningKey;
import org.junit.jupiter.api.Test;

class WitnessTest {
  final NoteSigner log = NoteSigner.of("log.example", SyntheticLedger.coordinatorKey(3));
  final SigningKey siteKey = SyntheticLedger.siteKey(3, 0);

  private SignedNote checkpoint(MerkleTree t, long size) {
    return SignedNote.sign(new Checkpoint("log.example", size, t.root(size)).body(), log);
  }

  private static MerkleTree tree(String prefix, int n) {
    List<byte[]> e = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      e.add((prefix + i).getBytes());
    }
    return MerkleTree.of(e);
  }

  @Test
  void acceptsConsistentGrowthAndCosigns() throws Exception {
    Witness w = new Witness("site-00", siteKey, log.verifier());
    MerkleTree t = tree("e", 50);
    NoteSignature first = w.cosign(checkpoint(t, 10), List.of());
    NoteVerifier.of("site-00", siteKey.verifyingKey()).verify(checkpoint(t, 10).text(), first);
    // As carried in the wire Cosignature message: the signature line, parsed back.
    assertEquals(first, NoteSignature.parseLine(first.line()));
    w.cosign(checkpoint(t, 37), t.consistencyProof(10, 37));
    w.cosign(checkpoint(t, 37), List.of()); // same checkpoint again
    assertEquals(37, w.acceptedSize());
    assertTrue(w.forkEvidence().isEmpty());
  }

  @Test
  void refusesRollbackAndBadProofs() throws Exception {
    Witness w = new Witness("site-00", siteKey, log.verifier());
    MerkleTree t = tree("e", 50);
    w.cosign(checkpoint(t, 20), List.of());
    assertThrows(LedgerException.class, () -> w.cosign(checkpoint(t, 19), List.of()));
    // A damaged, missing or malformed proof between two consistent checkpoints is refused, but is
    // not evidence of a fork: the log is honest and the proof may have been damaged in transit, so
    // ForkEvidence (two notes that cannot both be honest) must not accuse it.
    List<byte[]> proof = new ArrayList<>(t.consistencyProof(20, 30));
    proof.set(0, ProofMutations.flip(proof.get(0), 3));
    List<byte[]> truncated = t.consistencyProof(20, 30).subList(0, 1);
    List<byte[]> shortElement = new ArrayList<>(t.consistencyProof(20, 30));
    shortElement.set(0, new byte[31]);
    for (List<byte[]> bad : java.util.Arrays.<List<byte[]>>asList(proof, truncated, shortElement, List.of(), null)) {
      LedgerException e = assertThrows(LedgerException.class, () -> w.cosign(checkpoint(t, 30), bad));
      assertFalse(e instanceof ForkException, e.getMessage());
      assertTrue(e.getMessage().contains("is not proven consistent with the accepted size 20"), e.getMessage());
    }
    assertTrue(w.forkEvidence().isEmpty());
    assertEquals(20, w.acceptedSize());
    w.cosign(checkpoint(t, 30), t.consistencyProof(20, 30)); // the honest proof, resent
    assertEquals(30, w.acceptedSize());
    SignedNote unsigned = SignedNote.sign(new Checkpoint("log.example", 30, t.root(30)).body(),
        NoteSigner.of("log.example", SyntheticLedger.coordinatorKey(4)));
    assertThrows(NoteException.class, () -> w.cosign(unsigned, t.consistencyProof(20, 30)));
  }

  @Test
  void keepsEvidenceOfAFork() throws Exception {
    Witness w = new Witness("site-00", siteKey, log.verifier());
    MerkleTree honest = tree("e", 40);
    MerkleTree forked = tree("f", 40);
    w.cosign(checkpoint(honest, 25), List.of());
    ForkException e = assertThrows(ForkException.class, () -> w.cosign(checkpoint(forked, 25), List.of()));
    assertTrue(e.getMessage().contains("two checkpoints of size 25 with different roots"));
    ForkEvidence ev = w.forkEvidence().get(0);
    ev.accepted().verify(log.verifier());
    ev.conflicting().verify(log.verifier());
    // A larger checkpoint of the forked tree fails its consistency proof from the accepted one; that
    // alone does not prove a fork (a damaged proof fails the same way), so it is refused without
    // evidence. The same-size pair above is the evidence.
    LedgerException e2 = assertThrows(LedgerException.class,
        () -> w.cosign(checkpoint(forked, 40), forked.consistencyProof(25, 40)));
    assertFalse(e2 instanceof ForkException, e2.getMessage());
    assertEquals(1, w.forkEvidence().size());
    assertEquals(25, w.acceptedSize());
  }
}
