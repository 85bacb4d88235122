package org.fedtel.coordinator;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.LedgerException;
import org.fedtel.ledger.NoteSignature;
import org.fedtel.ledger.SignedNote;
import org.fedtel.ledger.v1.BudgetExhausted;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.RoundAborted;
import org.fedtel.ledger.v1.RoundCommitted;
import org.fedtel.ledger.v1.RoundStarted;
import org.fedtel.ledger.v1.SiteEnrolled;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.v1.Checkpoint;
import org.fedtel.protocol.v1.DataUseRecord;
import org.fedtel.protocol.v1.PrivacyParams;

/**
 * The round engine's events as ledger entries (DESIGN.md section 4), each durable before the call
 * returns; a signed checkpoint after every committed round, with the consistency proof each
 * survivor needs, and the survivors' cosignatures added to it.
 *
 * <p>An I/O failure of the ledger stops the coordinator ({@link UncheckedIOException}): a round
 * must never proceed unrecorded.
 */
public final class LedgerLog implements FederationLog {
  private final Ledger ledger;
  /** Rounds of each site's data uses in the ledger, read on first need (null until then). */
  private Map<String, java.util.Set<Long>> dataUseRounds;
  private final Map<String, VerifyingKey> siteKeys;
  private final Map<String, byte[]> certificateHashes;
  /** A consortium without DP enrols sites with an infinite budget, as the ledger requires. */
  private final boolean withoutPrivacy;

  /**
   * @param siteKeys each site's certified Ed25519 key (recorded at enrolment; it signs data uses and cosignatures)
   * @param certificateHashes SHA-256 of each site's certificate (DER), recorded at enrolment
   */
  public LedgerLog(Ledger ledger, Map<String, VerifyingKey> siteKeys, Map<String, byte[]> certificateHashes,
                   org.fedtel.protocol.v1.PrivacyMode mode) {
    this.ledger = ledger;
    this.withoutPrivacy = mode == org.fedtel.protocol.v1.PrivacyMode.PRIVACY_MODE_NONE;
    this.siteKeys = Map.copyOf(siteKeys);
    this.certificateHashes = Map.copyOf(certificateHashes);
  }

  private void append(Entry.Builder e) {
    try {
      ledger.append(e);
    } catch (IOException ex) {
      throw new UncheckedIOException("ledger append failed", ex);
    }
  }

  @Override
  public void siteEnrolled(String siteId, double budgetEpsilon, double budgetDelta) throws RejectedMessageException {
    VerifyingKey key = siteKeys.get(siteId);
    if (key == null) {
      throw new RejectedMessageException(RejectedMessageException.Reason.UNKNOWN_SENDER,
          "site '" + siteId + "' has a consortium certificate but is not among the configured sites");
    }
    if (alreadyEnrolled(siteId)) {
      return;
    }
    boolean declared = !withoutPrivacy && budgetEpsilon > 0 && budgetDelta > 0 && budgetDelta < 1;
    append(Entry.newBuilder().setSiteEnrolled(SiteEnrolled.newBuilder()
        .setSiteId(siteId)
        .setCertificateSha256(ByteString.copyFrom(certificateHashes.getOrDefault(siteId, new byte[32])))
        .setSigningKey(ByteString.copyFrom(key.toBytes()))
        .setBudgetEpsilon(declared ? budgetEpsilon : Double.POSITIVE_INFINITY)
        .setBudgetDelta(declared ? budgetDelta : 0)));
  }

  /**
   * The charges of every data use in the ledger, per site: the same (q, z, steps) the auditor
   * recomputes each site's epsilon from. Uses of mode none cost nothing and are skipped.
   */
  @Override
  public Map<String, List<org.fedtel.privacy.accounting.SampledGaussian>> recordedCharges() {
    Map<String, List<org.fedtel.privacy.accounting.SampledGaussian>> out = new java.util.TreeMap<>();
    try {
      for (long i = 1; i < ledger.size(); i++) {
        Entry e = Entry.parseFrom(ledger.entry(i));
        if (!e.hasDataUse()) {
          continue;
        }
        DataUseBody body = DataUseBody.parseFrom(e.getDataUse().getBody());
        if (body.getPrivacyMode() == org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_LOCAL
            || body.getPrivacyMode() == org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_DISTRIBUTED) {
          out.computeIfAbsent(body.getSiteId(), k -> new java.util.ArrayList<>()).add(
              new org.fedtel.privacy.accounting.SampledGaussian(body.getSamplingRate(), body.getNoiseMultiplier(), body.getSteps()));
        }
      }
      return out;
    } catch (IOException ex) {
      throw new UncheckedIOException("ledger read failed", ex);
    }
  }

  private boolean alreadyEnrolled(String siteId) {
    return enrolment(siteId) != null;
  }

  /** The site's SiteEnrolled entry, or null. */
  private SiteEnrolled enrolment(String siteId) {
    try {
      for (long i = ledger.size() - 1; i >= 1; i--) {
        Entry e = Entry.parseFrom(ledger.entry(i));
        if (e.hasSiteEnrolled() && e.getSiteEnrolled().getSiteId().equals(siteId)) {
          return e.getSiteEnrolled();
        }
      }
      return null;
    } catch (IOException ex) {
      throw new UncheckedIOException("ledger read failed", ex);
    }
  }

  @Override
  public EnrolledBudget enrolledBudget(String siteId) {
    SiteEnrolled s = enrolment(siteId);
    return s == null ? null : new EnrolledBudget(s.getBudgetEpsilon(), s.getBudgetDelta());
  }

  @Override
  public java.util.Set<String> exhaustedSites() {
    java.util.Set<String> out = new java.util.TreeSet<>();
    try {
      for (long i = 1; i < ledger.size(); i++) {
        Entry e = Entry.parseFrom(ledger.entry(i));
        if (e.hasBudgetExhausted()) {
          out.add(e.getBudgetExhausted().getSiteId());
        }
      }
      return out;
    } catch (IOException ex) {
      throw new UncheckedIOException("ledger read failed", ex);
    }
  }

  @Override
  public void roundStarted(long round, List<String> participants, PrivacyParams privacy) {
    append(Entry.newBuilder().setRoundStarted(RoundStarted.newBuilder()
        .setRound(round)
        .setConfigSha256(ByteString.copyFrom(sha256(privacy.toByteArray())))
        .addAllSampledSites(participants)));
  }

  @Override
  public void budgetExhausted(long round, String siteId, double spentEpsilon, double budgetEpsilon, String reason) {
    append(Entry.newBuilder().setBudgetExhausted(BudgetExhausted.newBuilder()
        .setSiteId(siteId).setSpentEpsilon(spentEpsilon).setBudgetEpsilon(budgetEpsilon)));
  }

  @Override
  public synchronized boolean hasDataUse(String siteId, long round) {
    if (dataUseRounds == null) {
      // Once per process: the rounds of every data use already in the ledger; appends keep it current.
      Map<String, java.util.Set<Long>> rounds = new java.util.HashMap<>();
      try {
        for (long i = 1; i < ledger.size(); i++) {
          Entry e = Entry.parseFrom(ledger.entry(i));
          if (e.hasDataUse()) {
            DataUseBody body = DataUseBody.parseFrom(e.getDataUse().getBody());
            rounds.computeIfAbsent(body.getSiteId(), k -> new java.util.HashSet<>()).add(body.getRound());
          }
        }
      } catch (IOException ex) {
        throw new UncheckedIOException("ledger read failed", ex);
      }
      dataUseRounds = rounds;
    }
    return dataUseRounds.getOrDefault(siteId, java.util.Set.of()).contains(round);
  }

  @Override
  public void dataUse(long round, String siteId, DataUseRecord record) throws RejectedMessageException {
    DataUseBody body;
    try {
      body = DataUseBody.parseFrom(record.getRecord());
    } catch (InvalidProtocolBufferException e) {
      throw new RejectedMessageException(RejectedMessageException.Reason.BAD_CONTENT, "data-use record of '" + siteId + "' is malformed");
    }
    if (body.getRound() != round || !body.getSiteId().equals(siteId)) {
      throw new RejectedMessageException(RejectedMessageException.Reason.BAD_CONTENT, "data-use record of '" + siteId
          + "' is for site '" + body.getSiteId() + "' round " + body.getRound() + ", not round " + round);
    }
    try {
      ledger.appendDataUse(record.getRecord().toByteArray(), record.getSiteSignature().toByteArray());
      synchronized (this) {
        if (dataUseRounds != null) {
          dataUseRounds.computeIfAbsent(siteId, k -> new java.util.HashSet<>()).add(round);
        }
      }
    } catch (LedgerException e) {
      throw new RejectedMessageException(RejectedMessageException.Reason.BAD_CONTENT, e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException("ledger append failed", e);
    }
  }

  @Override
  public void roundCommitted(long round, byte[] modelHash, List<String> survivors, List<String> dropped) {
    append(Entry.newBuilder().setRoundCommitted(RoundCommitted.newBuilder()
        .setRound(round).addAllSurvivors(survivors).addAllDropped(dropped)
        .setModelSha256(ByteString.copyFrom(modelHash))));
  }

  @Override
  public void roundAborted(long round, String reason) {
    append(Entry.newBuilder().setRoundAborted(RoundAborted.newBuilder().setRound(round).setReason(reason)));
  }

  @Override
  public long lastStartedRound() {
    try {
      for (long i = ledger.size() - 1; i >= 1; i--) {
        Entry e = Entry.parseFrom(ledger.entry(i));
        if (e.hasRoundStarted()) {
          return e.getRoundStarted().getRound();
        }
      }
      return 0;
    } catch (IOException ex) {
      throw new UncheckedIOException("ledger read failed", ex);
    }
  }

  @Override
  public boolean isOpen(long round) {
    try {
      for (long i = ledger.size() - 1; i >= 1; i--) {
        Entry e = Entry.parseFrom(ledger.entry(i));
        if ((e.hasRoundCommitted() && e.getRoundCommitted().getRound() == round)
            || (e.hasRoundAborted() && e.getRoundAborted().getRound() == round)) {
          return false;
        }
        if (e.hasRoundStarted() && e.getRoundStarted().getRound() == round) {
          return true;
        }
      }
      return false;
    } catch (IOException ex) {
      throw new UncheckedIOException("ledger read failed", ex);
    }
  }

  @Override
  public Checkpoint checkpoint(long fromSize) {
    try {
      SignedNote note = ledger.signCheckpoint();
      long size = ledger.size();
      Checkpoint.Builder b = Checkpoint.newBuilder().setSignedNote(ByteString.copyFrom(note.toBytes()));
      if (fromSize > 0 && fromSize < size) {
        b.setFromSize(fromSize);
        for (byte[] h : ledger.consistencyProof(fromSize, size)) {
          b.addConsistencyProof(ByteString.copyFrom(h));
        }
      }
      return b.build();
    } catch (IOException ex) {
      throw new UncheckedIOException("checkpoint signing failed", ex);
    }
  }

  @Override
  public void cosignature(String siteId, long size, byte[] signatureLine) throws RejectedMessageException {
    try {
      String line = new String(signatureLine, StandardCharsets.UTF_8);
      // The wire carries the line as written in a note, with its newline.
      NoteSignature sig = NoteSignature.parseLine(line.endsWith("\n") ? line.substring(0, line.length() - 1) : line);
      if (!sig.name().equals(siteId)) {
        throw new RejectedMessageException(RejectedMessageException.Reason.SENDER_MISMATCH,
            "cosignature from '" + siteId + "' is signed as '" + sig.name() + "'");
      }
      ledger.addCosignature(size, sig);
    } catch (LedgerException e) {
      throw new RejectedMessageException(RejectedMessageException.Reason.BAD_CONTENT, "cosignature of '" + siteId + "': " + e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException("ledger write failed", e);
    }
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
