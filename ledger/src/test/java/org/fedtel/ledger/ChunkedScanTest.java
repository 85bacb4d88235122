package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.Genesis;
import org.fedtel.ledger.v1.RoundAborted;
import org.fedtel.ledger.v1.RoundStarted;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunked, multi-threaded scan and audit against the one-thread reference ({@code threads = 0}:
 * {@link EntryLog#scan}, one leaf hash and one compact-range append per entry): the same leaf hashes,
 * the same root after every entry, and on damaged files and tampered ledgers of several sizes —
 * with chunk boundaries aligned and unaligned, just before, at and after every entry — the same
 * outcome: the same entries visited, then the same end, or the same first failure with the same message.
 */
class ChunkedScanTest {
  @TempDir static Path tmp;
  static Path synthetic;
  static List<byte[]> ledgerEntries;

  /** Hashing threads × entries per chunk × bytes per chunk (small byte limits make unaligned chunks). */
  private static final int[][] CONFIGS = {
      {1, 1, 1 << 20}, {2, 2, 1 << 20}, {2, 3, 1 << 20}, {3, 4, 1 << 20}, {2, 8, 1 << 20}, {1, 16, 1 << 20},
      {2, 4096, 1 << 20}, {2, 4096, 1}, {2, 8, 150}, {3, 16, 400}, {1, 5, 250},
  };
  /** The default run's share (every thread start costs on a shared 2-core machine): the audit's own chunking too. */
  private static final int[][] FEW = {
      {1, 1, 1 << 20}, {2, 3, 1 << 20}, {2, 4, 1 << 20}, {2, 8, 150}, {2, 4096, 1},
      {2, ChunkedScan.CHUNK_ENTRIES, ChunkedScan.CHUNK_BYTES},
  };

  @BeforeAll
  static void build() throws Exception {
    synthetic = Files.createDirectory(tmp.resolve("synthetic"));
    SyntheticLedger.write(synthetic, 3, 5, 21, true);
    ledgerEntries = LedgerFiles.read(synthetic);
  }

  private static List<byte[]> randomEntries(int n, int maxLength, SplittableRandom random) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(randomBytes(random.nextInt(10) == 0 ? 0 : random.nextInt(1, maxLength), random));
    }
    return out;
  }

  private static byte[] randomBytes(int length, SplittableRandom random) {
    byte[] e = new byte[length];
    for (int j = 0; j < length; j++) {
      e[j] = (byte) random.nextInt(256);
    }
    return e;
  }

  @Test
  void leavesAndTheRootAfterEveryEntryAreTheTreesForEverySizeAndChunking() throws Exception {
    SplittableRandom random = new SplittableRandom(5);
    Path dir = Files.createDirectory(tmp.resolve("roots"));
    Path file = dir.resolve(EntryLog.FILE);
    for (int n : new int[] {0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 100}) {
      List<byte[]> entries = randomEntries(n, 300, random);
      LedgerFiles.write(dir, entries);
      MerkleTree tree = MerkleTree.of(entries);
      for (int[] c : withReference()) {
        String where = "size " + n + ", threads " + c[0] + ", chunks of " + c[1] + " entries / " + c[2] + " bytes";
        ChunkedScan scan = new ChunkedScan(file, c[0], c[1], c[2]);
        int[] seen = {0};
        EntryLog.Scan end = scan.run((index, offset, buf, off, len, leaves, leafOffset) -> {
          byte[] e = entries.get((int) index);
          assertEquals(seen[0]++, index, where);
          assertArrayEquals(e, Arrays.copyOfRange(buf, off, off + len), where);
          assertArrayEquals(MerkleTree.leafHash(e), Arrays.copyOfRange(leaves, leafOffset, leafOffset + 32), where);
          assertArrayEquals(tree.root(index + 1), scan.root(), where + ", root after entry " + index);
        });
        assertEquals(n, seen[0], where);
        assertEquals(n, end.entries(), where);
        assertEquals(Files.size(file), end.goodLength(), where);
        assertTrue(!end.torn(), where);
        assertArrayEquals(tree.root(), scan.root(), where);
      }
    }
  }

  /**
   * Leaf and node hashes in vector lanes ({@link LaneSha256}) against {@code MessageDigest} and the
   * reference tree: thousands of entries whose messages pad to one to twelve blocks, mostly two (as
   * in a long ledger), so that lanes fill up for several block counts at once, some leaves wait at a
   * chunk's end and the longest go one by one; every leaf and the root after every entry.
   */
  @Test
  void vectorLanesGiveTheSameLeavesAndRootsAsMessageDigest() throws Exception {
    assumeTrue(ChunkedScan.LANES, "SHA-256 in vector lanes is not usable in this JVM");
    SplittableRandom random = new SplittableRandom(6);
    List<byte[]> entries = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      int kind = random.nextInt(100);
      int length = kind < 70 ? random.nextInt(55, 119) : kind < 90 ? random.nextInt(55) : kind < 99
          ? random.nextInt(119, 500) : random.nextInt(500, 760);
      entries.add(randomBytes(length, random));
    }
    Path dir = Files.createDirectory(tmp.resolve("lanes"));
    Path file = dir.resolve(EntryLog.FILE);
    LedgerFiles.write(dir, entries);
    MerkleTree tree = MerkleTree.of(entries);
    for (int[] c : new int[][] {{2, ChunkedScan.CHUNK_ENTRIES, ChunkedScan.CHUNK_BYTES}, {1, 100, 1 << 20}, {2, 37, 5000}}) {
      for (boolean lanes : new boolean[] {true, false}) {
        String where = (lanes ? "lanes" : "MessageDigest") + ", threads " + c[0] + ", chunks of " + c[1]
            + " entries / " + c[2] + " bytes";
        ChunkedScan scan = new ChunkedScan(file, c[0], c[1], c[2], lanes);
        EntryLog.Scan end = scan.run((index, offset, buf, off, len, leaves, leafOffset) -> {
          assertArrayEquals(MerkleTree.leafHash(entries.get((int) index)),
              Arrays.copyOfRange(leaves, leafOffset, leafOffset + 32), where + ", leaf " + index);
          assertArrayEquals(tree.root(index + 1), scan.root(), where + ", root after entry " + index);
        });
        assertEquals(entries.size(), end.entries(), where);
        assertArrayEquals(tree.root(), scan.root(), where);
      }
    }
  }

  /** Every truncation and a bit flip in every byte (lengths, entries, checksums) of a small file. */
  @Test
  void damagedFilesEndOrFailAsTheReferenceSays() throws Exception {
    damagedFiles(7, 40, FEW, 9);
  }

  @Test
  @Tag("heavy")
  void damagedFilesEndOrFailAsTheReferenceSaysWithLongerEntriesAndEveryChunking() throws Exception {
    damagedFiles(12, 300, CONFIGS, 10);
  }

  private static void damagedFiles(int n, int maxLength, int[][] configs, long seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    Path dir = Files.createDirectory(tmp.resolve("damaged-" + seed));
    Path file = dir.resolve(EntryLog.FILE);
    List<byte[]> entries = randomEntries(n, maxLength, random);
    entries.set(n / 2, new byte[0]);
    LedgerFiles.write(dir, entries);
    byte[] good = Files.readAllBytes(file);
    List<byte[]> files = new ArrayList<>();
    for (int cut = 0; cut < good.length; cut++) {
      files.add(Arrays.copyOf(good, cut));
    }
    for (int i = 0; i < good.length; i++) {
      byte[] m = good.clone();
      m[i] ^= (byte) (1 << random.nextInt(8));
      files.add(m);
    }
    files.add(Arrays.copyOf(good, good.length + 100)); // zero fill after the last record
    byte[] zeroRecord = Arrays.copyOf(good, good.length + 8 + 20); // a zero-length record with checksum 0
    zeroRecord[zeroRecord.length - 1] = 1; // and then data: damage, not a torn tail
    files.add(zeroRecord);
    byte[] garbage = Arrays.copyOf(good, good.length + 50);
    Arrays.fill(garbage, good.length, garbage.length, (byte) 0x7f);
    files.add(garbage);
    int torn = 0;
    int failed = 0;
    for (byte[] f : files) {
      Files.write(file, f);
      String expected = scanOutcome(file, 0, 1, 1);
      torn += expected.contains("torn ") ? 1 : 0;
      failed += expected.contains("Exception") ? 1 : 0;
      for (int[] c : configs) {
        assertEquals(expected, scanOutcome(file, c[0], c[1], c[2]),
            "threads " + c[0] + ", chunks of " + c[1] + " entries / " + c[2] + " bytes");
      }
    }
    assertTrue(torn > good.length / 2, "torn tails: " + torn);
    assertTrue(failed > good.length / 2, "failures: " + failed);
  }

  private static String scanOutcome(Path file, int threads, int chunkEntries, int chunkBytes) {
    StringBuilder out = new StringBuilder();
    ChunkedScan scan = new ChunkedScan(file, threads, chunkEntries, chunkBytes);
    try {
      EntryLog.Scan end = scan.run((index, offset, buf, off, len, leaves, leafOffset) -> out.append(index)
          .append('@').append(offset).append(' ')
          .append(HexFormat.of().formatHex(leaves, leafOffset, leafOffset + 32), 0, 12).append('\n'));
      out.append(end.torn() ? "torn " : "end ").append(end).append(' ')
          .append(HexFormat.of().formatHex(scan.root()));
    } catch (Exception e) {
      out.append(e.getClass().getSimpleName()).append(": ").append(e.getMessage());
    }
    return out.toString();
  }

  /**
   * Audits of a generated ledger cut to sizes around chunk boundaries (its checkpoints up to that
   * size kept), untouched and with each entry bit-flipped (checksum fixed, so the audit's own checks
   * must catch it), its checksum broken, deleted, or swapped with the next one: every threads and
   * chunking gives the reference's report or its first failure, word for word.
   */
  @Test
  void auditsOfTamperedLedgersOfSeveralSizesReportWhatTheOneThreadAuditReports() throws Exception {
    int n = ledgerEntries.size();
    tamperedAudits(new int[] {8, 9, n}, 4, FEW, 13);
  }

  @Test
  @Tag("heavy")
  void auditsOfTamperedLedgersOfEverySizeUpTo17AndEveryChunking() throws Exception {
    int n = ledgerEntries.size();
    tamperedAudits(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, n - 1, n}, 1, CONFIGS, 14);
  }

  /**
   * A ledger of rounds started (no sampled site) and aborted, the kinds whose headers the hashing
   * threads read into primitive arrays ({@link ChunkedScan.Headers}): tampered the same ways, chunk
   * boundaries everywhere, the same report or first failure as the one-thread audit, word for word.
   */
  @Test
  void auditsOfTamperedRoundLedgersReportWhatTheOneThreadAuditReports() throws Exception {
    Path rounds = roundLedger("rounds", 12, 4);
    List<byte[]> entries = LedgerFiles.read(rounds);
    tamperedAudits(rounds, entries, new int[] {5, 9, entries.size()}, 1, FEW, 15);
  }

  /**
   * The tampered round ledger long enough for the vector lanes ({@link LaneSha256}: 32 leaves of one
   * block count in a chunk, 64 aligned leaves for a level of nodes), in chunkings that use them.
   */
  @Test
  void auditsOfATamperedLongRoundLedgerReportWhatTheOneThreadAuditReports() throws Exception {
    Path rounds = roundLedger("long-rounds", 150, 25);
    List<byte[]> entries = LedgerFiles.read(rounds);
    tamperedAudits(rounds, entries, new int[] {130, entries.size()}, 23,
        new int[][] {{2, 64, 1 << 20}, {1, ChunkedScan.CHUNK_ENTRIES, ChunkedScan.CHUNK_BYTES}}, 16);
  }

  /** A ledger of {@code rounds} rounds started and aborted, a checkpoint every {@code every} rounds. */
  private static Path roundLedger(String name, int rounds, int every) throws Exception {
    Path dir = Files.createDirectory(tmp.resolve(name));
    try (Ledger l = Ledger.open(dir, SyntheticLedger.genesis(3), SyntheticLedger.coordinatorKey(3),
        SyntheticLedger.steppingClock())) {
      for (long round = 1; round <= rounds; round++) {
        l.append(Entry.newBuilder().setRoundStarted(RoundStarted.newBuilder().setRound(round)
            .setConfigSha256(ByteString.copyFrom(new byte[32]))));
        l.append(Entry.newBuilder().setRoundAborted(RoundAborted.newBuilder().setRound(round)
            .setReason("fewer survivors than the threshold")));
        if (round % every == 0) {
          l.signCheckpoint();
        }
      }
    }
    return dir;
  }

  /**
   * Damaged files (truncations and bit flips at sampled places) of entries whose leaves pad to one
   * or two blocks, long enough for the vector lanes, against the one-thread reference scan.
   */
  @Test
  void damagedLongFilesEndOrFailAsTheReferenceSays() throws Exception {
    SplittableRandom random = new SplittableRandom(17);
    Path dir = Files.createDirectory(tmp.resolve("damaged-long"));
    Path file = dir.resolve(EntryLog.FILE);
    List<byte[]> entries = new ArrayList<>();
    for (int i = 0; i < 130; i++) {
      entries.add(randomBytes(random.nextInt(10) == 0 ? random.nextInt(55) : random.nextInt(55, 119), random));
    }
    LedgerFiles.write(dir, entries);
    byte[] good = Files.readAllBytes(file);
    List<byte[]> files = new ArrayList<>();
    files.add(good);
    for (int k = 0; k < 300; k++) {
      files.add(Arrays.copyOf(good, random.nextInt(good.length)));
      byte[] m = good.clone();
      m[random.nextInt(good.length)] ^= (byte) (1 << random.nextInt(8));
      files.add(m);
    }
    int failed = 0;
    for (byte[] f : files) {
      Files.write(file, f);
      String expected = scanOutcome(file, 0, 1, 1);
      failed += expected.contains("Exception") ? 1 : 0;
      for (int[] c : new int[][] {{2, 64, 1 << 20}, {1, 1000, 1 << 20}}) {
        assertEquals(expected, scanOutcome(file, c[0], c[1], c[2]),
            "threads " + c[0] + ", chunks of " + c[1] + " entries / " + c[2] + " bytes");
      }
    }
    assertTrue(failed > 200, "failures: " + failed);
  }

  private static void tamperedAudits(int[] sizes, int every, int[][] configs, long seed) throws Exception {
    tamperedAudits(synthetic, ledgerEntries, sizes, every, configs, seed);
  }

  /** Deletions, swaps and broken checksums at every {@code every}-th entry, bit flips at all. */
  private static void tamperedAudits(Path source, List<byte[]> ledgerEntries, int[] sizes, int every,
      int[][] configs, long seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    int n = ledgerEntries.size();
    assertTrue(n > 17, "ledger of " + n + " entries");
    int ok = 0;
    int failures = 0;
    for (int size : sizes) {
      Path dir = Files.createDirectory(tmp.resolve("audit-" + seed + "-" + size));
      Files.createDirectory(dir.resolve(Ledger.CHECKPOINT_DIR));
      try (var s = Files.list(source.resolve(Ledger.CHECKPOINT_DIR))) {
        for (Path p : s.toList()) {
          if (Checkpoint.parse(SignedNote.parse(Files.readAllBytes(p)).text()).size() <= size) {
            Files.copy(p, dir.resolve(Ledger.CHECKPOINT_DIR).resolve(p.getFileName()));
          }
        }
      }
      List<byte[]> prefix = ledgerEntries.subList(0, size);
      List<List<byte[]>> variants = new ArrayList<>();
      variants.add(prefix);
      for (int i = 0; i < size; i++) {
        List<byte[]> flipped = new ArrayList<>(prefix);
        byte[] e = prefix.get(i).clone();
        e[random.nextInt(e.length)] ^= (byte) (1 << random.nextInt(8));
        flipped.set(i, e);
        variants.add(flipped);
        if (i % every != 0) {
          continue;
        }
        List<byte[]> deleted = new ArrayList<>(prefix);
        deleted.remove(i);
        variants.add(deleted);
        if (i + 1 < size) {
          List<byte[]> swapped = new ArrayList<>(prefix);
          swapped.set(i, prefix.get(i + 1));
          swapped.set(i + 1, prefix.get(i));
          variants.add(swapped);
        }
      }
      for (List<byte[]> v : variants) {
        LedgerFiles.write(dir, v);
        String expected = auditOutcome(dir, 0, 1, 1);
        if (expected.startsWith("ok ")) {
          ok++;
        } else {
          failures++;
        }
        for (int[] c : configs) {
          assertEquals(expected, auditOutcome(dir, c[0], c[1], c[2]), "size " + size + ", threads " + c[0]
              + ", chunks of " + c[1] + " entries / " + c[2] + " bytes");
        }
      }
      for (int i = size - 1; i >= 0; i -= every) {
        // The stored checksum of entry i broken: "record checksum mismatch", or a torn tail for the last.
        LedgerFiles.write(dir, prefix);
        byte[] f = Files.readAllBytes(dir.resolve(EntryLog.FILE));
        f[(int) LedgerFiles.offsetOf(dir, i) + 4 + prefix.get(i).length] ^= 1;
        Files.write(dir.resolve(EntryLog.FILE), f);
        String expected = auditOutcome(dir, 0, 1, 1);
        assertTrue(expected.contains(i + 1 == size ? "torn write" : "ledger entry " + i + ": record checksum"),
            expected);
        failures++;
        for (int[] c : configs) {
          assertEquals(expected, auditOutcome(dir, c[0], c[1], c[2]), "size " + size + ", checksum of " + i);
        }
      }
    }
    assertTrue(ok >= 2, "untouched ledgers verified: " + ok);
    assertTrue(failures > 50, "tampered ledgers caught: " + failures);
  }

  private static String auditOutcome(Path dir, int threads, int chunkEntries, int chunkBytes) {
    try {
      AuditReport r = LedgerAudit.verify(dir, List.of(), threads, chunkEntries, chunkBytes);
      return "ok " + r.entries() + " " + HexFormat.of().formatHex(r.root()) + " " + r.checkpoints() + " "
          + r.cosignatures() + " " + r.signatures() + " " + r.sites();
    } catch (Exception e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  /** {@link #CONFIGS} and the reference itself. */
  private static List<int[]> withReference() {
    List<int[]> all = new ArrayList<>(List.of(CONFIGS));
    all.add(new int[] {0, 1, 1});
    return all;
  }

  @Test
  void aLargeEntryGetsAChunkOfItsOwn() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("large"));
    SplittableRandom random = new SplittableRandom(17);
    List<byte[]> entries = randomEntries(9, 300, random);
    byte[] large = new byte[3 << 20];
    random.nextBytes(large);
    entries.add(4, large);
    LedgerFiles.write(dir, entries);
    Path file = dir.resolve(EntryLog.FILE);
    String expected = scanOutcome(file, 0, 1, 1);
    assertTrue(expected.startsWith("0@8 "), expected);
    for (int[] c : new int[][] {{2, 4096, 1 << 20}, {2, 4, 1 << 10}, {1, 4096, 1}}) {
      assertEquals(expected, scanOutcome(file, c[0], c[1], c[2]));
    }
    assertArrayEquals(MerkleTree.of(entries).root(), rootOf(file));
  }

  /**
   * A ledger of rounds started and aborted whose chain, indexes and checksums are intact, so that
   * only the round rules and the timestamps can fail, and whose round numbers have gaps. Each fault
   * gets its message, and every threads and chunking — with runs of entries taken at once by the
   * checking thread ({@link ChunkedScan.Headers#continuing}) — reports exactly what the one-thread
   * audit reports.
   */
  @Test
  void roundRulesAreCheckedAlikeInRunsAndOneByOne() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("round-rules"));
    Files.createDirectory(dir.resolve(Ledger.CHECKPOINT_DIR));
    long[] numbers = {1, 2, 3, 7, 8, 9, 10, 20, 21, 22};
    List<Entry.Builder> rounds = new ArrayList<>();
    for (long n : numbers) {
      rounds.add(started(n));
      rounds.add(aborted(n));
    }
    // Entry 1 + 2k starts numbers[k], entry 2 + 2k aborts it.
    String ok = roundOutcome(dir, rounds, e -> { });
    assertTrue(ok.startsWith("ok " + (1 + rounds.size()) + " "), ok);
    // Valid too: round 3 aborted after round 7 started (the abort is not of the round just started).
    assertTrue(roundOutcome(dir, rounds, e -> swap(e, 5, 6)).startsWith("ok "));
    assertEquals("CorruptLedgerException: ledger entry 9: round 3 does not follow round 7",
        roundOutcome(dir, rounds, e -> e.set(8, started(3))));
    assertEquals("CorruptLedgerException: ledger entry 8: round 7 does not follow round 7",
        roundOutcome(dir, rounds, e -> {
          swap(e, 5, 6); // started 3, started 7, aborted 3, ...
          e.set(7, started(7));
        }));
    assertEquals("CorruptLedgerException: ledger entry 12: round 8 is already committed or aborted",
        roundOutcome(dir, rounds, e -> e.set(11, aborted(8))));
    assertEquals("CorruptLedgerException: ledger entry 12: round 5 was never started",
        roundOutcome(dir, rounds, e -> e.set(11, aborted(5))));
    assertEquals("CorruptLedgerException: ledger entry 15: round 21 was never started",
        roundOutcome(dir, rounds, e -> e.set(14, aborted(21))));
    assertEquals("CorruptLedgerException: ledger entry 13: timestamp 500 is before the previous 1012",
        roundOutcome(dir, rounds, e -> e.get(12).setTimestampMillis(500)));
    assertEquals("CorruptLedgerException: ledger entry 13: index field says 99 (entries were removed, inserted or"
        + " reordered)", roundOutcome(dir, rounds, e -> e.get(12).setIndex(99)));
  }

  /**
   * Writes genesis and {@code rounds} (changed by {@code change}) chained, indexed and stamped 1000 +
   * index ms unless a builder has an index or a timestamp of its own; returns the reference's outcome, having
   * checked that every configuration reports the same.
   */
  private static String roundOutcome(Path dir, List<Entry.Builder> rounds, Consumer<List<Entry.Builder>> change)
      throws Exception {
    List<Entry.Builder> all = new ArrayList<>();
    Genesis genesis = SyntheticLedger.genesis(3);
    all.add(Entry.newBuilder().setGenesis(genesis));
    for (Entry.Builder b : rounds) {
      all.add(b.clone());
    }
    List<Entry.Builder> tail = all.subList(1, all.size());
    change.accept(tail);
    List<byte[]> entries = new ArrayList<>();
    byte[] previous = new byte[32];
    for (int i = 0; i < all.size(); i++) {
      Entry.Builder b = all.get(i).setPreviousHash(ByteString.copyFrom(previous));
      if (b.getIndex() == 0) {
        b.setIndex(i);
      }
      if (b.getTimestampMillis() == 0) {
        b.setTimestampMillis(1000 + i);
      }
      byte[] bytes = b.build().toByteArray();
      entries.add(bytes);
      previous = MerkleTree.leafHash(bytes);
    }
    LedgerFiles.write(dir, entries);
    String expected = auditOutcome(dir, 0, 1, 1);
    for (int[] c : CONFIGS) {
      assertEquals(expected, auditOutcome(dir, c[0], c[1], c[2]), "threads " + c[0] + ", chunks of " + c[1]
          + " entries / " + c[2] + " bytes");
    }
    assertEquals(expected, auditOutcome(dir, 1, ChunkedScan.CHUNK_ENTRIES, ChunkedScan.CHUNK_BYTES));
    return expected;
  }

  private static Entry.Builder started(long round) {
    return Entry.newBuilder().setRoundStarted(RoundStarted.newBuilder().setRound(round)
        .setConfigSha256(ByteString.copyFrom(new byte[32])));
  }

  private static Entry.Builder aborted(long round) {
    return Entry.newBuilder().setRoundAborted(RoundAborted.newBuilder().setRound(round).setReason("test"));
  }

  private static void swap(List<Entry.Builder> entries, int i, int j) {
    Entry.Builder t = entries.get(i);
    entries.set(i, entries.get(j));
    entries.set(j, t);
  }

  /**
   * The scan offers runs of continuing entries to the visitor: a visitor that takes them sees the
   * round entries after each chunk's first two in runs (and the same root as one by one), one that
   * declines them sees every entry one by one.
   */
  @Test
  void runsOfContinuingEntriesAreOfferedAndMayBeDeclined() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("runs"));
    Files.createDirectory(dir.resolve(Ledger.CHECKPOINT_DIR));
    List<Entry.Builder> rounds = new ArrayList<>();
    for (long n = 1; n <= 40; n++) {
      rounds.add(started(n));
      rounds.add(aborted(n));
    }
    roundOutcome(dir, rounds, e -> { });
    Path file = dir.resolve(EntryLog.FILE);
    for (boolean take : new boolean[] {true, false}) {
      ChunkedScan scan = new ChunkedScan(file, 1, 8, 1 << 20);
      long[] counts = new long[2];
      List<String> roots = new ArrayList<>();
      scan.run(new ChunkedScan.Visitor() {
        @Override
        public void entry(long index, long offset, byte[] buf, int off, int len, byte[] leaves, int leafOffset) {
          counts[0]++;
          roots.add(index + 1 + ":" + HexFormat.of().formatHex(scan.root()));
        }

        @Override
        public boolean continuing(long index, ChunkedScan.Headers headers, int from, int to, byte[] leaves,
            long lastOffset) {
          if (take) {
            counts[1] += to - from;
            for (long size = index + 1; size <= index + to - from; size++) {
              roots.add(size + ":" + HexFormat.of().formatHex(scan.root(size)));
            }
          }
          return take;
        }
      });
      assertEquals(81, counts[0] + counts[1], "take " + take);
      if (take) {
        // Chunk k ≥ 1 starts at entry 8k (round entries alternate started, aborted from entry 1, so an
        // even index is an aborted entry): its entry 0 aborts and entry 1 starts a round after a head
        // that aborted, so both are visited; entries 2..7 continue. Chunk 0: genesis and round 1
        // started are visited. The last chunk holds entry 80 alone.
        assertEquals(2 * 10 + 1, counts[0]);
        assertEquals(60, counts[1]);
      } else {
        assertEquals(81, counts[0]);
      }
      MerkleTree tree = MerkleTree.of(LedgerFiles.read(dir));
      for (String r : roots) {
        int size = Integer.parseInt(r.substring(0, r.indexOf(':')));
        assertEquals(size + ":" + HexFormat.of().formatHex(tree.root(size)), r);
      }
      assertEquals(81, roots.size());
    }
  }

  private static byte[] rootOf(Path file) throws Exception {
    ChunkedScan scan = new ChunkedScan(file, 2);
    scan.run((index, offset, buf, off, len, leaves, leafOffset) -> { });
    return scan.root();
  }
}
