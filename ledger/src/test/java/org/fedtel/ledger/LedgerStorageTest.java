package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.RoundAborted;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerStorageTest {
  @TempDir Path dir;

  private Ledger open() throws Exception {
    return Ledger.open(dir, SyntheticLedger.genesis(7), SyntheticLedger.coordinatorKey(7),
        SyntheticLedger.steppingClock());
  }

  private static Entry.Builder aborted(long round) {
    return Entry.newBuilder().setRoundAborted(RoundAborted.newBuilder().setRound(round).setReason("test"));
  }

  @Test
  void rootsAndProofsMatchAnInMemoryTreeOfTheStoredBytesAcrossReopen() throws Exception {
    try (Ledger l = open()) {
      for (int i = 1; i <= 40; i++) {
        assertEquals(i, l.append(aborted(i)));
      }
    }
    try (Ledger l = open()) {
      assertEquals(41, l.size());
      assertEquals(0, l.recovery().bytesCut());
      for (int i = 41; i <= 70; i++) {
        l.append(aborted(i));
      }
      List<byte[]> stored = LedgerFiles.read(dir);
      MerkleTree ref = MerkleTree.of(stored);
      for (long n = 1; n <= l.size(); n += 7) {
        assertArrayEquals(ref.root(n), l.root(n));
        for (long i = 0; i < n; i += 5) {
          MerkleProofs.verifyInclusion(i, n, MerkleTree.leafHash(l.entry(i)), l.inclusionProof(i, n), l.root(n));
        }
        MerkleProofs.verifyConsistency(n, l.size(), l.root(n), l.root(), l.consistencyProof(n, l.size()));
      }
      assertThrows(IllegalStateException.class, this::open, "a second writer");
    }
  }

  @Test
  void lostHashFileIsRebuiltFromTheEntries() throws Exception {
    byte[] root;
    try (Ledger l = open()) {
      for (int i = 1; i <= 20; i++) {
        l.append(aborted(i));
      }
      root = l.root();
    }
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(FileHashStore.FILE).toFile(), "rw")) {
      f.setLength(f.length() / 3 + 5);
    }
    try (Ledger l = open()) {
      assertTrue(l.recovery().hashesRebuilt() > 0);
      assertArrayEquals(root, l.root());
    }
  }

  @Test
  void hashesPastTheLastSyncAreRebuiltAfterACrash() throws Exception {
    try (Ledger l = open()) {
      for (int i = 1; i <= 20; i++) {
        l.append(aborted(i));
      }
      l.signCheckpoint(); // hashes of 21 entries synced
      for (int i = 21; i <= 30; i++) {
        l.append(aborted(i));
      }
    }
    // Simulate a power loss that kept the entries (fsynced) but garbled the unsynced hash tail.
    Files.writeString(dir.resolve(Ledger.HASHES_SYNCED), "21\n");
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(FileHashStore.FILE).toFile(), "rw")) {
      f.seek(HashStore.countFor(25) * 32);
      f.write(new byte[64]);
    }
    try (Ledger l = open()) {
      assertEquals(10, l.recovery().hashesRebuilt());
      assertArrayEquals(MerkleTree.of(LedgerFiles.read(dir)).root(), l.root());
    }
  }

  @Test
  void aDamagedHashInsideTheSyncedPrefixIsRebuiltFromTheEntries() throws Exception {
    // 17 entries, all synced: 32 stored hashes. Flip one bit in: leaf 0, the level-1 node over
    // leaves 0-1 (position 2), the root of leaves 0-15 (position 30, the reviewer's byte 960), and
    // the last stored hash (leaf 16).
    for (long bytePos : new long[] {5, 2 * 32 + 7, 960, 31 * 32 + 31}) {
      Path d = dir.resolve("flip-" + bytePos);
      assertEquals(17, SyntheticLedger.write(d, 3, 4, 7, true));
      assertEquals(HashStore.countFor(17) * 32, Files.size(d.resolve(FileHashStore.FILE)));
      flipBit(d.resolve(FileHashStore.FILE), bytePos);
      MerkleTree truth = MerkleTree.of(LedgerFiles.read(d));
      try (Ledger l = Ledger.open(d, SyntheticLedger.genesis(7), SyntheticLedger.coordinatorKey(7),
          SyntheticLedger.steppingClock())) {
        assertTrue(l.recovery().hashesRebuilt() > 0, "byte " + bytePos + ": " + l.recovery());
        for (long n = 1; n <= 17; n++) {
          assertArrayEquals(truth.root(n), l.root(n), "byte " + bytePos + ", root of " + n);
        }
        MerkleProofs.verifyConsistency(8, 17, truth.root(8), truth.root(17), l.consistencyProof(8, 17));
        for (long i = 0; i < 17; i++) {
          assertArrayEquals(MerkleTree.leafHash(l.entry(i)), l.leafHash(i));
        }
      }
    }
  }

  @Test
  void tornTailIsCutBackAndReported() throws Exception {
    try (Ledger l = open()) {
      for (int i = 1; i <= 10; i++) {
        l.append(aborted(i));
      }
    }
    Path log = dir.resolve(EntryLog.FILE);
    long full = Files.size(log);
    // A crash mid-append of entry 11: part of its record reached the file, none of it acknowledged.
    byte[] frame = EntryLog.frame(aborted(11).setIndex(11).build().toByteArray());
    Files.write(log, java.util.Arrays.copyOf(frame, 7), java.nio.file.StandardOpenOption.APPEND);
    try (Ledger l = open()) {
      assertEquals(11, l.size());
      assertEquals(7, l.recovery().bytesCut());
      assertNotNull(l.recovery().tornTail());
      assertEquals(11, l.append(aborted(99)));
    }
    assertTrue(Files.size(log) < full + 100);
    // Zero fill after the last record (a file extended but never written) is a torn tail too.
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
      f.setLength(f.length() + 4096);
    }
    try (Ledger l = open()) {
      assertEquals(12, l.size());
      assertEquals(4096, l.recovery().bytesCut());
    }
    // A whole last record failing its checksum, past every acknowledged entry, is a torn tail too.
    frame = EntryLog.frame(aborted(12).setIndex(12).build().toByteArray());
    frame[frame.length - 1] ^= 1;
    Files.write(log, frame, java.nio.file.StandardOpenOption.APPEND);
    try (Ledger l = open()) {
      assertEquals(12, l.size());
      assertEquals(frame.length, l.recovery().bytesCut());
    }
  }

  /**
   * After a crash (no checkpoint, no synced hashes: nothing shows which entries were acknowledged),
   * a length field damaged so that its record seems to run past the end of the file is not a torn
   * tail when complete records follow it: cutting there would drop acknowledged entries — for the
   * genesis record, the whole ledger (found in review). A genuinely torn genesis append is still cut,
   * and reported.
   */
  @Test
  void aDamagedLengthFieldWithCompleteRecordsAfterItIsNotATornTail() throws Exception {
    for (long entry : new long[] {0, 4, 9}) {
      Path d = dir.resolve("len-" + entry);
      try (Ledger l = Ledger.open(d, SyntheticLedger.genesis(7), SyntheticLedger.coordinatorKey(7), SyntheticLedger.steppingClock())) {
        for (int i = 1; i <= 10; i++) {
          l.append(aborted(i));
        }
      }
      Files.delete(d.resolve(Ledger.HASHES_SYNCED)); // the state a crash leaves: nothing acknowledged on file
      Path log = d.resolve(EntryLog.FILE);
      long off = LedgerFiles.offsetOf(d, entry);
      flipBit(log, off + 1); // +2^16 on the length: past the end of this small file, under the 16 MiB limit
      byte[] before = Files.readAllBytes(log);
      CorruptLedgerException e = assertThrows(CorruptLedgerException.class, () -> Ledger.open(d, SyntheticLedger.genesis(7), SyntheticLedger.coordinatorKey(7), SyntheticLedger.steppingClock()),
          "entry " + entry);
      assertEquals(entry, e.entryIndex());
      assertTrue(e.getMessage().contains("length field is damaged") && e.getMessage().contains("a complete record follows"),
          e.getMessage());
      assertArrayEquals(before, Files.readAllBytes(log), "nothing was cut");
    }
    // Control: a crash during the very first append leaves part of the genesis record; open starts
    // the ledger afresh and says what it cut.
    Path torn = dir.resolve("torn-genesis");
    Files.createDirectories(torn);
    byte[] frame = EntryLog.frame(Entry.newBuilder().setIndex(0).setGenesis(SyntheticLedger.genesis(7)).build().toByteArray());
    Files.write(torn.resolve(EntryLog.FILE), concat(EntryLog.MAGIC, java.util.Arrays.copyOf(frame, frame.length - 3)));
    try (Ledger l = Ledger.open(torn, SyntheticLedger.genesis(7), SyntheticLedger.coordinatorKey(7), SyntheticLedger.steppingClock())) {
      assertEquals(1, l.size());
      assertEquals(frame.length - 3, l.recovery().bytesCut());
      assertTrue(l.recovery().tornTail().contains("incomplete genesis record"), l.recovery().tornTail());
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static void flipBit(Path file, long position) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(position);
      int b = f.read();
      f.seek(position);
      f.write(b ^ 1);
    }
  }

  @Test
  void anAcknowledgedLastEntryFailingItsChecksumIsAnErrorNotATornTail() throws Exception {
    // The reviewer's TailFlip: 17 entries, cosigned checkpoint of size 17, bit rot in entry 16.
    assertEquals(17, SyntheticLedger.write(dir, 3, 4, 7, true));
    Path log = dir.resolve(EntryLog.FILE);
    flipBit(log, Files.size(log) - 10);
    byte[] damaged = Files.readAllBytes(log);
    CorruptLedgerException e = assertThrows(CorruptLedgerException.class, this::open);
    assertEquals(16, e.entryIndex());
    assertTrue(e.getMessage().contains("checksum") && e.getMessage().contains("checkpoint of size 17"),
        e.getMessage());
    assertArrayEquals(damaged, Files.readAllBytes(log), "nothing was cut");
    // A last record cut short is refused the same way when it was acknowledged.
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
      f.setLength(f.length() - 3);
    }
    assertEquals(16, assertThrows(CorruptLedgerException.class, this::open).entryIndex());
  }

  @Test
  void entriesBelowTheSyncedCountAreAcknowledgedToo() throws Exception {
    try (Ledger l = open()) {
      for (int i = 1; i <= 10; i++) {
        l.append(aborted(i));
      }
    } // no checkpoint; close syncs the hashes of all 11 entries
    Path log = dir.resolve(EntryLog.FILE);
    flipBit(log, Files.size(log) - 10);
    CorruptLedgerException e = assertThrows(CorruptLedgerException.class, this::open);
    assertEquals(10, e.entryIndex());
    assertTrue(e.getMessage().contains(Ledger.HASHES_SYNCED), e.getMessage());
    // A whole acknowledged record gone (the file ends on a record boundary) is refused as well.
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
      f.setLength(LedgerFiles.offsetOf(dir, 9));
    }
    assertEquals(9, assertThrows(CorruptLedgerException.class, this::open).entryIndex());
  }

  @Test
  void signCheckpointNeverReplacesADifferentCheckpointOfTheSameSize() throws Exception {
    try (Ledger l = open()) {
      for (int i = 1; i <= 3; i++) {
        l.append(aborted(i));
      }
      // A checkpoint of size 4 over another root is already stored (e.g. signed before the entries
      // were damaged and rewritten): signing the current root for size 4 would be a fork.
      Path stored = Checkpoints.path(dir, 4);
      byte[] other = SignedNote.sign(new Checkpoint(SyntheticLedger.genesis(7).getOrigin(), 4, new byte[32]).body(),
          NoteSigner.of(SyntheticLedger.genesis(7).getOrigin(), SyntheticLedger.coordinatorKey(7))).toBytes();
      Files.write(stored, other);
      IllegalStateException e = assertThrows(IllegalStateException.class, l::signCheckpoint);
      assertTrue(e.getMessage().contains("size 4"), e.getMessage());
      assertArrayEquals(other, Files.readAllBytes(stored), "the stored checkpoint is untouched");
      // The same text again keeps the stored file (and any cosignatures on it).
      Files.delete(stored);
      SignedNote first = l.signCheckpoint();
      assertEquals(first.text(), l.signCheckpoint().text());
    }
  }

  /**
   * Open decides whether a ledger is new from its first record alone (not a scan of the whole
   * file): a damaged genesis record with entries after it is damage, never an empty ledger to be
   * started afresh over the old entries.
   */
  @Test
  void aDamagedGenesisRecordIsAnErrorNotAFreshLedger() throws Exception {
    try (Ledger l = open()) {
      for (int i = 1; i <= 3; i++) {
        l.append(aborted(i));
      }
    }
    long length = Files.size(dir.resolve(EntryLog.FILE));
    flipBit(dir.resolve(EntryLog.FILE), LedgerFiles.offsetOf(dir, 0) + 10);
    CorruptLedgerException e = assertThrows(CorruptLedgerException.class, this::open);
    assertEquals(0, e.entryIndex());
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    assertEquals(length, Files.size(dir.resolve(EntryLog.FILE)), "nothing was cut or rewritten");
  }

  @Test
  void damageBeforeTheTailIsATypedErrorNamingTheEntry() throws Exception {
    try (Ledger l = open()) {
      for (int i = 1; i <= 10; i++) {
        l.append(aborted(i));
      }
    }
    long off = LedgerFiles.offsetOf(dir, 4);
    try (RandomAccessFile f = new RandomAccessFile(dir.resolve(EntryLog.FILE).toFile(), "rw")) {
      f.seek(off + 6);
      int b = f.read();
      f.seek(off + 6);
      f.write(b ^ 0x10);
    }
    CorruptLedgerException e = assertThrows(CorruptLedgerException.class, this::open);
    assertEquals(4, e.entryIndex());
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
  }

  @Test
  void concurrentAppendersShareFsyncsAndGetDistinctDurableIndexes() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (Ledger l = open()) {
      List<Future<Long>> fs = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        long r = i + 1;
        fs.add(pool.submit(() -> {
          long idx = l.append(aborted(r));
          assertTrue(l.size() > idx, "durable before return");
          return idx;
        }));
      }
      boolean[] seen = new boolean[201];
      for (Future<Long> f : fs) {
        long idx = f.get(60, TimeUnit.SECONDS);
        assertTrue(idx >= 1 && idx <= 200 && !seen[(int) idx]);
        seen[(int) idx] = true;
      }
      assertEquals(201, l.size());
    } finally {
      pool.shutdownNow();
    }
    assertEquals(201, LedgerFiles.read(dir).size());
  }

  @Test
  void readersSeeOnlyCompleteEntriesWhileAWriterAppends() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Ledger l = open()) {
      Future<?> writer = pool.submit(() -> {
        for (int i = 1; i <= 150; i++) {
          l.append(aborted(i));
        }
        return null;
      });
      long last = 0;
      while (!writer.isDone()) {
        long[] n = {0};
        LedgerEntries.read(dir, (i, e, b) -> {
          assertEquals(n[0]++, e.getIndex());
        });
        assertTrue(n[0] >= last, "a reader never sees the ledger shrink");
        last = n[0];
        long size = l.size();
        if (size > 1) {
          MerkleProofs.verifyConsistency(1, size, l.root(1), l.root(size), l.consistencyProof(1, size));
        }
      }
      writer.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void reopeningWithAnotherConsortiumsGenesisIsRefused() throws Exception {
    try (Ledger l = open()) {
      l.append(aborted(1));
    }
    var other = SyntheticLedger.genesis(7).toBuilder().setConsortiumId("someone-else").build();
    LedgerException e = assertThrows(LedgerException.class,
        () -> Ledger.open(dir, other, SyntheticLedger.coordinatorKey(7), SyntheticLedger.steppingClock()));
    assertTrue(e.getMessage().contains("with a different genesis"), e.getMessage());
    try (Ledger l = open()) {
      assertEquals(2, l.size(), "the refused open changed nothing");
    }
  }

  private static Entry.Builder enrol(String site, double epsilon, double delta) {
    return Entry.newBuilder().setSiteEnrolled(org.fedtel.ledger.v1.SiteEnrolled.newBuilder().setSiteId(site)
        .setCertificateSha256(com.google.protobuf.ByteString.copyFrom(new byte[32]))
        .setSigningKey(com.google.protobuf.ByteString.copyFrom(SyntheticLedger.siteKey(7, 0).verifyingKey().toBytes()))
        .setBudgetEpsilon(epsilon).setBudgetDelta(delta));
  }

  @Test
  void enrolmentsTheAuditWouldRejectAreRefusedBeforeAnythingIsWritten() throws Exception {
    try (Ledger l = open()) {
      long before = Files.size(dir.resolve(EntryLog.FILE));
      // The reviewer's odd site id (U+2028 is a line separator), and other ids that are no key name.
      for (String bad : new String[] {"sité-\u00e9\u2028\ud83d\ude00\"\\", "", "a b", "a+b", "tab\tsite", "nul\u0000"}) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.append(enrol(bad, 8, 1e-5)));
        assertTrue(e.getMessage().contains("key name"), e.getMessage());
      }
      for (double[] budget : new double[][] {{0, 1e-5}, {-1, 1e-5}, {Double.NaN, 1e-5}, {8, 1}, {8, -1e-9}, {8, Double.NaN}}) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> l.append(enrol("site-x", budget[0], budget[1])));
        assertTrue(e.getMessage().contains("invalid budget"), e.getMessage());
      }
      // A second enrolment of a site, in one batch or after the first; a good entry in the same
      // batch is not written either.
      assertThrows(IllegalArgumentException.class,
          () -> l.appendAll(List.of(aborted(1), enrol("site-a", 8, 1e-5), enrol("site-a", 8, 1e-5))));
      assertEquals(1, l.size());
      assertEquals(before, Files.size(dir.resolve(EntryLog.FILE)), "nothing was written");
      assertEquals(1, l.append(enrol("sité-é", 8, 1e-5))); // non-ASCII is a valid key name
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.append(enrol("sité-é", 4, 0)));
      assertTrue(e.getMessage().contains("already enrolled"), e.getMessage());
      assertEquals(2, l.size());
    }
  }

  @Test
  void appendRejectsCallerBugs() throws Exception {
    try (Ledger l = open()) {
      assertThrows(IllegalArgumentException.class, () -> l.append(Entry.newBuilder()));
      assertThrows(IllegalArgumentException.class, () -> l.append(aborted(1).setIndex(5)));
      assertThrows(IllegalArgumentException.class,
          () -> l.append(Entry.newBuilder().setGenesis(SyntheticLedger.genesis(7))));
      assertThrows(LedgerException.class, () -> l.appendDataUse(new byte[] {1, 2, 3}, new byte[64]));
    }
    try (Ledger l = open()) {
      l.close();
      assertThrows(IllegalStateException.class, () -> l.append(aborted(1)));
    }
  }
}
