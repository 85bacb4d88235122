package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.fedtel.ledger.v1.Entry;
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
      byte[] e = new byte[random.nextInt(10) == 0 ? 0 : random.nextInt(1, maxLength)];
      for (int j = 0; j < e.length; j++) {
        e[j] = (byte) random.nextInt(256);
      }
      out.add(e);
    }
    return out;
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
    Path rounds = Files.createDirectory(tmp.resolve("rounds"));
    try (Ledger l = Ledger.open(rounds, SyntheticLedger.genesis(3), SyntheticLedger.coordinatorKey(3),
        SyntheticLedger.steppingClock())) {
      for (long round = 1; round <= 12; round++) {
        l.append(Entry.newBuilder().setRoundStarted(RoundStarted.newBuilder().setRound(round)
            .setConfigSha256(ByteString.copyFrom(new byte[32]))));
        l.append(Entry.newBuilder().setRoundAborted(RoundAborted.newBuilder().setRound(round)
            .setReason("fewer survivors than the threshold")));
        if (round % 4 == 0) {
          l.signCheckpoint();
        }
      }
    }
    List<byte[]> entries = LedgerFiles.read(rounds);
    tamperedAudits(rounds, entries, new int[] {5, 9, entries.size()}, 1, FEW, 15);
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

  private static byte[] rootOf(Path file) throws Exception {
    ChunkedScan scan = new ChunkedScan(file, 2);
    scan.run((index, offset, buf, off, len, leaves, leafOffset) -> { });
    return scan.root();
  }
}
