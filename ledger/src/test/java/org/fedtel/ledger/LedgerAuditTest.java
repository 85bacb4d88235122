package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedtel.ledger.v1.DataUse;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tampering with a ledger on disk in each way the issue lists is caught by the audit. */
class LedgerAuditTest {
  static final long SEED = 11;
  @TempDir Path dir;
  List<byte[]> entries;

  @BeforeEach
  void build() throws Exception {
    SyntheticLedger.write(dir, 4, 6, SEED, true);
    entries = LedgerFiles.read(dir);
  }

  private String failure() {
    LedgerException e = assertThrows(LedgerException.class, () -> LedgerAudit.verify(dir));
    return e.getMessage();
  }

  private int firstDataUse() throws Exception {
    for (int i = 0; i < entries.size(); i++) {
      if (Entry.parseFrom(entries.get(i)).hasDataUse()) {
        return i;
      }
    }
    throw new AssertionError("no data use");
  }

  @Test
  void theUntouchedLedgerVerifies() throws Exception {
    AuditReport r = LedgerAudit.verify(dir);
    assertEquals(entries.size(), r.entries());
    assertEquals(6, r.checkpoints());
    assertEquals(24, r.cosignatures());
    assertEquals(4, r.sites().size());
    for (AuditReport.SiteBudget b : r.sites()) {
      assertTrue(b.spentEpsilon() > 0 && b.spentEpsilon() <= b.budgetEpsilon(), b.toString());
    }
  }

  @Test
  void aBitFlipInAnyEntryIsCaughtNamingIt() throws Exception {
    for (int i = 0; i < entries.size(); i++) {
      List<byte[]> t = new ArrayList<>(entries);
      byte[] e = t.get(i).clone();
      e[e.length / 2] ^= 0x04;
      t.set(i, e);
      LedgerFiles.write(dir, t); // checksum recomputed: only the chain, signatures or roots can tell
      String m = failure();
      assertTrue(m.startsWith("ledger entry " + i + ":") || m.startsWith("ledger entry " + (i + 1) + ":")
          || m.startsWith("checkpoint"), "entry " + i + ": " + m);
    }
    // Without recomputing the checksum the record itself is named.
    LedgerFiles.write(dir, entries);
    long off = LedgerFiles.offsetOf(dir, 5);
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(EntryLog.FILE).toFile(), "rw")) {
      f.seek(off + 9);
      int b = f.read();
      f.seek(off + 9);
      f.write(b ^ 1);
    }
    assertEquals("ledger entry 5: record checksum mismatch (damaged bytes)", failure());
  }

  @Test
  void deletingOrReorderingEntriesIsCaught() throws Exception {
    List<byte[]> t = new ArrayList<>(entries);
    t.remove(7);
    LedgerFiles.write(dir, t);
    assertTrue(failure().startsWith("ledger entry 7: index field says 8"), failure());
    t = new ArrayList<>(entries);
    Collections.swap(t, 3, 4);
    LedgerFiles.write(dir, t);
    assertTrue(failure().startsWith("ledger entry 3: index field says 4"), failure());
    t = new ArrayList<>(entries);
    t.remove(t.size() - 1);
    LedgerFiles.write(dir, t);
    assertTrue(failure().contains("entries at the end were removed"), failure());
  }

  @Test
  void truncationMidRecordIsCaught() throws Exception {
    long off = LedgerFiles.offsetOf(dir, entries.size() - 1);
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(EntryLog.FILE).toFile(), "rw")) {
      f.setLength(off + 10);
    }
    assertTrue(failure().startsWith("ledger entry " + (entries.size() - 1) + ": incomplete record"), failure());
  }

  @Test
  void aReplacedSignatureIsCaught() throws Exception {
    int i = firstDataUse();
    Entry e = Entry.parseFrom(entries.get(i));
    int j = i + 1;
    while (!Entry.parseFrom(entries.get(j)).hasDataUse()) {
      j++;
    }
    // Site signature taken from another data use.
    DataUse other = Entry.parseFrom(entries.get(j)).getDataUse();
    List<byte[]> t = new ArrayList<>(entries);
    t.set(i, e.toBuilder().setDataUse(e.getDataUse().toBuilder().setSiteSignature(other.getSiteSignature()))
        .build().toByteArray());
    LedgerFiles.write(dir, t);
    assertTrue(failure().matches("ledger entry " + i + ": site signature of 'site-\\d\\d' does not verify"), failure());
    // Coordinator signature replaced.
    t.set(i, e.toBuilder().setDataUse(e.getDataUse().toBuilder()
        .setCoordinatorSignature(other.getCoordinatorSignature())).build().toByteArray());
    LedgerFiles.write(dir, t);
    assertEquals("ledger entry " + i + ": coordinator signature does not verify", failure());
  }

  @Test
  void aReplacedSignatureIsReportedFirstEvenWhenLaterEntriesAreRechained() throws Exception {
    // Signatures are verified on worker threads; the first failing entry must still be the one named.
    int i = firstDataUse();
    List<byte[]> t = new ArrayList<>();
    byte[] prev = new byte[32];
    for (int k = 0; k < entries.size(); k++) {
      Entry.Builder b = Entry.parseFrom(entries.get(k)).toBuilder().setPreviousHash(ByteString.copyFrom(prev));
      if (k == i) {
        b.getDataUseBuilder().setSiteSignature(ByteString.copyFrom(new byte[64]));
      }
      byte[] bytes = k < i ? entries.get(k) : b.build().toByteArray();
      t.add(bytes);
      prev = MerkleTree.leafHash(bytes);
    }
    LedgerFiles.write(dir, t);
    assertTrue(failure().matches("ledger entry " + i + ": site signature of 'site-\\d\\d' does not verify"), failure());
  }

  @Test
  void overstatedOrUnderstatedPrivacySpendIsCaught() throws Exception {
    int i = firstDataUse();
    Entry e = Entry.parseFrom(entries.get(i));
    DataUseBody body = DataUseBody.parseFrom(e.getDataUse().getBody());
    // A coordinator cannot change the body (the site signed it); re-sign as the site to show the
    // accountant check itself: the recorded cumulative ε is understated.
    DataUseBody lie = body.toBuilder().setCumulativeEpsilon(body.getCumulativeEpsilon() * 0.9).build();
    int site = Integer.parseInt(body.getSiteId().substring(5));
    byte[] bytes = lie.toByteArray();
    byte[] siteSig = DataUseSignatures.signBySite(SyntheticLedger.siteKey(SEED, site), bytes);
    byte[] coordSig = DataUseSignatures.signByCoordinator(SyntheticLedger.coordinatorKey(SEED), bytes, siteSig);
    List<byte[]> t = new ArrayList<>(entries);
    t.set(i, e.toBuilder().setDataUse(DataUse.newBuilder().setBody(ByteString.copyFrom(bytes))
        .setSiteSignature(ByteString.copyFrom(siteSig)).setCoordinatorSignature(ByteString.copyFrom(coordSig)))
        .build().toByteArray());
    LedgerFiles.write(dir, t);
    assertTrue(failure().startsWith("ledger entry " + i + ": cumulative ε of '" + body.getSiteId()
        + "' is recorded as"), failure());
  }

  @Test
  void aRewrittenHistoryIsCaughtByCosignaturesAndByTrustedCheckpoints() throws Exception {
    SignedNote trusted = Checkpoints.readAll(dir).lastEntry().getValue();
    // The coordinator rewrites round 2's committed model, re-chains everything after it and re-signs
    // every checkpoint with its own key; it cannot forge the sites' cosignatures.
    int k = -1;
    for (int i = 0; i < entries.size(); i++) {
      Entry e = Entry.parseFrom(entries.get(i));
      if (e.hasRoundCommitted() && e.getRoundCommitted().getRound() == 2) {
        k = i;
      }
    }
    List<byte[]> forged = new ArrayList<>();
    byte[] prev = new byte[32];
    for (int i = 0; i < entries.size(); i++) {
      Entry.Builder b = Entry.parseFrom(entries.get(i)).toBuilder().setPreviousHash(ByteString.copyFrom(prev));
      if (i == k) {
        b.getRoundCommittedBuilder().setModelSha256(ByteString.copyFrom(new byte[32]));
      }
      byte[] bytes = i < k ? entries.get(i) : b.build().toByteArray();
      forged.add(bytes);
      prev = MerkleTree.leafHash(bytes);
    }
    LedgerFiles.write(dir, forged);
    MerkleTree tree = MerkleTree.of(forged);
    NoteSigner coordinator = NoteSigner.of(SyntheticLedger.ORIGIN, SyntheticLedger.coordinatorKey(SEED));
    TreeMap<Long, SignedNote> notes = Checkpoints.readAll(dir);
    for (Map.Entry<Long, SignedNote> n : notes.entrySet()) {
      Checkpoint c = new Checkpoint(SyntheticLedger.ORIGIN, n.getKey(), tree.root(n.getKey()));
      List<NoteSignature> sigs = new ArrayList<>();
      sigs.add(coordinator.sign(c.body()));
      sigs.addAll(n.getValue().signatures().subList(1, n.getValue().signatures().size()));
      Files.write(Checkpoints.path(dir, n.getKey()), new SignedNote(c.body(), sigs).toBytes());
    }
    assertTrue(failure().matches("checkpoint of size \\d+: cosignature of site 'site-00' does not verify"), failure());
    // Dropping the cosignatures hides that, but a checkpoint a site accepted earlier exposes it.
    for (Map.Entry<Long, SignedNote> n : notes.entrySet()) {
      Checkpoint c = new Checkpoint(SyntheticLedger.ORIGIN, n.getKey(), tree.root(n.getKey()));
      Files.write(Checkpoints.path(dir, n.getKey()), SignedNote.sign(c.body(), coordinator).toBytes());
    }
    LedgerAudit.verify(dir); // self-consistent forgery
    LedgerException e = assertThrows(LedgerException.class,
        () -> LedgerAudit.verify(dir, List.of(trusted), (d, t) -> { }));
    assertTrue(e.getMessage().contains("is signed with a different root than the entries give"), e.getMessage());
  }
  @Test
  void aSecondCheckpointFileForASizeUnderAnotherNameIsRefusedNamingIt() throws Exception {
    // Long.parseLong read "8.note", "08.note" and "00000000000000000008.note" as the same size, and
    // the one listed last was the only one verified: a forged second checkpoint could hide behind
    // directory order. Only the name the writer produces is accepted.
    Map.Entry<Long, SignedNote> first = Checkpoints.readAll(dir).firstEntry();
    for (String name : List.of(first.getKey() + ".note", "0" + first.getKey() + ".note", "+" + first.getKey() + ".note",
        String.format("%021d.note", first.getKey()))) {
      Path extra = dir.resolve(Ledger.CHECKPOINT_DIR).resolve(name);
      Files.write(extra, first.getValue().toBytes());
      String m = failure();
      assertTrue(m.contains("checkpoint file " + name + " is not named") && m.contains(String.format("%020d.note", first.getKey())), m);
      Files.delete(extra);
    }
    LedgerAudit.verify(dir);
  }
  @Test
  void cosignaturesAreCountedOncePerKeyAndLinesByUnknownKeysAreRefusedWhateverTheName() throws Exception {
    // C2SP signed-note: a signature is identified by (key name, key ID). A repeated cosignature
    // line counted twice (25 instead of 24), and a line by an unknown key ID was reported as a bad
    // signature under an enrolled site's name but silently ignored under the origin's name.
    Map.Entry<Long, SignedNote> last = Checkpoints.readAll(dir).lastEntry();
    Path file = Checkpoints.path(dir, last.getKey());
    String note = new String(last.getValue().toBytes(), java.nio.charset.StandardCharsets.UTF_8);
    String site00 = last.getValue().signatures().stream().filter(x -> x.name().equals("site-00")).findFirst()
        .orElseThrow().line();
    Files.writeString(file, note + site00);
    assertEquals(24, LedgerAudit.verify(dir).cosignatures());
    String otherKey = java.util.Base64.getEncoder().encodeToString(new byte[] {0x12, 0x34, 0x56, 0x78,
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
        30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55,
        56, 57, 58, 59, 60, 61, 62, 63, 64});
    for (String name : List.of("site-00", SyntheticLedger.ORIGIN)) {
      Files.writeString(file, note + "\u2014 " + name + " " + otherKey + "\n");
      String m = failure();
      assertTrue(m.contains("signature line by '" + name + "' with key id 12345678")
          && m.contains("is not by a known key"), m);
    }
    Files.writeString(file, note + "\u2014 witness.example " + otherKey + "\n");
    assertTrue(failure().contains("cosignature by 'witness.example', which is not an enrolled site"), failure());
    // A line with the right key ID but a bad signature is still reported as one that does not verify.
    byte[] bad = last.getValue().signatures().get(1).bytes();
    bad[10] ^= 1;
    Files.writeString(file, new SignedNote(last.getValue().text(), List.of(last.getValue().signatures().get(0),
        new NoteSignature(last.getValue().signatures().get(1).name(), bad))).encode());
    assertTrue(failure().contains("cosignature of site '" + last.getValue().signatures().get(1).name()
        + "' does not verify"), failure());
  }
}
