package org.fedtel.ledger;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.fedtel.crypto.SigningKey;

/**
 * A site or auditor watching the coordinator's log. It keeps the last checkpoint it accepted; a new
 * checkpoint is cosigned only if the log signed it, it does not roll back, and a consistency proof
 * (RFC 9162 §2.1.4) shows the accepted tree is a prefix of the new one. Two signed checkpoints of
 * the same size with different roots are kept as {@link ForkEvidence}; a proof that fails is
 * refused but is not evidence (it may be damaged in transit). Thread-safe.
 */
public final class Witness {
  private final NoteSigner signer;
  private final NoteVerifier log;
  private SignedNote accepted;
  private Checkpoint acceptedCheckpoint;
  private final List<ForkEvidence> evidence = new ArrayList<>();

  /**
   * @param name the witness's key name (a site's id)
   * @param key the witness's signing key (a site's enrolled key)
   * @param log the coordinator's checkpoint verifier; its name is the log's origin
   */
  public Witness(String name, SigningKey key, NoteVerifier log) {
    this.signer = NoteSigner.of(name, key);
    this.log = log;
  }

  /** Restores the last accepted checkpoint (e.g. from the site's state file); it must verify. */
  public synchronized void restore(SignedNote lastAccepted) throws LedgerException {
    if (accepted != null) {
      throw new IllegalStateException("witness already holds a checkpoint");
    }
    acceptedCheckpoint = parseVerified(lastAccepted);
    accepted = lastAccepted;
  }

  /** Size the coordinator must prove consistency from (0 before the first checkpoint). */
  public synchronized long acceptedSize() {
    return acceptedCheckpoint == null ? 0 : acceptedCheckpoint.size();
  }

  public synchronized Optional<SignedNote> lastAccepted() {
    return Optional.ofNullable(accepted);
  }

  public synchronized List<ForkEvidence> forkEvidence() {
    return List.copyOf(evidence);
  }

  /**
   * Verifies {@code note} and the consistency proof from {@link #acceptedSize()} to it, accepts it,
   * and returns this witness's cosignature.
   *
   * @throws ForkException if the note has the accepted size and another root (evidence kept)
   * @throws LedgerException if the note is not the log's, rolls back, or the consistency proof is
   *     missing, malformed or fails (no evidence kept)
   */
  public synchronized NoteSignature cosign(SignedNote note, List<byte[]> consistencyProof) throws LedgerException {
    Checkpoint c = parseVerified(note);
    if (acceptedCheckpoint != null) {
      long from = acceptedCheckpoint.size();
      if (c.size() < from) {
        throw new LedgerException("rollback: checkpoint of size " + c.size() + " is older than the accepted size "
            + from);
      }
      if (c.size() == from) {
        if (!MessageDigest.isEqual(c.root(), acceptedCheckpoint.root())) {
          throw fork(note, "two checkpoints of size " + from + " with different roots");
        }
      } else {
        try {
          MerkleProofs.verifyConsistency(from, c.size(), acceptedCheckpoint.root(), c.root(), consistencyProof);
        } catch (ProofException e) {
          // Not fork evidence: a missing, damaged or malformed proof fails the same way for an
          // honest log, and ForkEvidence must be provable from the two signed notes alone. Only the
          // same size with different roots (above) is; the log may resend a proof that verifies.
          throw new LedgerException("checkpoint of size " + c.size() + " is not proven consistent with the"
              + " accepted size " + from + " (" + e.getMessage() + "); not cosigned", e);
        }
      }
    }
    accepted = note;
    acceptedCheckpoint = c;
    return signer.sign(note.text());
  }

  private ForkException fork(SignedNote note, String reason) {
    ForkEvidence e = new ForkEvidence(accepted, note, reason);
    evidence.add(e);
    return new ForkException(e);
  }

  private Checkpoint parseVerified(SignedNote note) throws LedgerException {
    note.verify(log);
    Checkpoint c = Checkpoint.parse(note.text());
    if (!c.origin().equals(log.name())) {
      throw new NoteException("checkpoint origin '" + c.origin() + "' is not the log '" + log.name() + "'");
    }
    if (c.root().length != MerkleTree.HASH_LENGTH) {
      throw new NoteException("checkpoint root has " + c.root().length + " bytes, not 32");
    }
    return c;
  }
}
