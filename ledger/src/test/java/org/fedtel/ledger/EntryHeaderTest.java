package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.ModelReleased;
import org.fedtel.ledger.v1.RoundAborted;
import org.fedtel.ledger.v1.RoundStarted;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit's wire-format reader ({@link EntryHeader}) against the generated parser: on every entry
 * of generated ledgers, and on every single-bit flip and every truncation of them, whatever the
 * fast reader accepts the generated parser accepts with the same values, and the audit with the
 * fast path reports exactly what the audit that parses every entry fully reports.
 */
class EntryHeaderTest {
  @TempDir static Path tmp;
  static Path synthetic;
  static Path rounds;
  static List<byte[]> entries = new ArrayList<>();

  @BeforeAll
  static void build() throws Exception {
    synthetic = Files.createDirectory(tmp.resolve("synthetic"));
    SyntheticLedger.write(synthetic, 5, 10, 3, true);
    rounds = Files.createDirectory(tmp.resolve("rounds"));
    try (Ledger l = Ledger.open(rounds, SyntheticLedger.genesis(3), SyntheticLedger.coordinatorKey(3),
        SyntheticLedger.steppingClock())) {
      List<Entry.Builder> batch = new ArrayList<>();
      for (int round = 1; round <= 40; round++) {
        batch.add(Entry.newBuilder().setRoundStarted(RoundStarted.newBuilder().setRound(round)
            .setConfigSha256(ByteString.copyFrom(new byte[32]))));
        batch.add(Entry.newBuilder().setRoundAborted(RoundAborted.newBuilder().setRound(round)
            .setReason(round % 7 == 0 ? "zu wenige Überlebende" : "fewer survivors than the threshold")));
      }
      l.appendAll(batch);
      l.signCheckpoint();
    }
    entries.addAll(LedgerFiles.read(synthetic));
    entries.addAll(LedgerFiles.read(rounds));
    // Layouts protobuf accepts but the fast reader leaves to it.
    Entry plain = Entry.newBuilder().setIndex(7).setTimestampMillis(1234)
        .setPreviousHash(ByteString.copyFrom(new byte[32]))
        .setRoundAborted(RoundAborted.newBuilder().setRound(5).setReason("r")).build();
    entries.add(plain.toBuilder().setTimestampMillis(-1).build().toByteArray()); // 10-byte varint
    entries.add(concat(plain.toByteArray(), Entry.newBuilder().setIndex(9).build().toByteArray())); // index twice
    entries.add(concat(plain.toByteArray(), Entry.newBuilder().setModelReleased(ModelReleased.newBuilder()
        .setRound(5)).build().toByteArray())); // two kinds: the last wins
    entries.add(concat(plain.toByteArray(), plain.toByteArray())); // kind twice: merged
    entries.add(concat(plain.toByteArray(), new byte[] {(byte) 0xa0, 0x06, 0x01})); // unknown field 100
    entries.add(Entry.newBuilder().setModelReleased(ModelReleased.newBuilder().setRound(3).setName("m"))
        .build().toByteArray()); // a two-byte tag
    entries.add(new byte[0]); // no kind at all
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static Entry parseOrNull(byte[] b) {
    try {
      return Entry.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }

  private static Message kindOf(Entry e) {
    return switch (e.getKindCase()) {
      case GENESIS -> e.getGenesis();
      case SITE_ENROLLED -> e.getSiteEnrolled();
      case ROUND_STARTED -> e.getRoundStarted();
      case DATA_USE -> e.getDataUse();
      case ROUND_COMMITTED -> e.getRoundCommitted();
      case ROUND_ABORTED -> e.getRoundAborted();
      case BUDGET_EXHAUSTED -> e.getBudgetExhausted();
      case MODEL_RELEASED -> e.getModelReleased();
      case KIND_NOT_SET -> null;
    };
  }

  private static Message kindDefault(int field) {
    return switch (Entry.KindCase.forNumber(field)) {
      case GENESIS -> org.fedtel.ledger.v1.Genesis.getDefaultInstance();
      case SITE_ENROLLED -> org.fedtel.ledger.v1.SiteEnrolled.getDefaultInstance();
      case ROUND_STARTED -> RoundStarted.getDefaultInstance();
      case DATA_USE -> org.fedtel.ledger.v1.DataUse.getDefaultInstance();
      case ROUND_COMMITTED -> org.fedtel.ledger.v1.RoundCommitted.getDefaultInstance();
      case ROUND_ABORTED -> RoundAborted.getDefaultInstance();
      case BUDGET_EXHAUSTED -> org.fedtel.ledger.v1.BudgetExhausted.getDefaultInstance();
      case MODEL_RELEASED -> ModelReleased.getDefaultInstance();
      case KIND_NOT_SET -> throw new AssertionError("no kind");
    };
  }

  /** Counts of how each input went, so that the test shows both paths were exercised. */
  private int fast;
  private int slow;
  private int rejected;

  /** Checks the fast reader on {@code b} against the generated parser. */
  private void agree(byte[] b) throws Exception {
    Entry ref = parseOrNull(b);
    EntryHeader h = new EntryHeader();
    boolean plain = h.read(b);
    embedded(b, plain, h);
    if (!plain) {
      slow++;
      return;
    }
    Message refKind = ref == null ? null : kindOf(ref);
    if (ref == null) {
      // The header was plain, so only the kind's own bytes can be what protobuf rejects.
      assertTrue(h.kind != 0, "accepted an entry protobuf rejects: " + Arrays.toString(b));
      try {
        kindDefault(h.kind).getParserForType().parseFrom(b, h.kindOffset, h.kindLength);
        fail("kind bytes parse although the entry does not");
      } catch (InvalidProtocolBufferException expected) {
        rejected++;
      }
      assertFalse(h.kind == EntryHeader.ROUND_ABORTED && h.readRoundAborted(b), "round_aborted fast path");
      assertFalse(h.kind == EntryHeader.ROUND_STARTED && h.readRoundStarted(b), "round_started fast path");
      return;
    }
    fast++;
    assertEquals(ref.getIndex(), h.index);
    assertEquals(ref.getTimestampMillis(), h.timestampMillis);
    assertArrayEquals(ref.getPreviousHash().toByteArray(),
        Arrays.copyOfRange(b, h.previousOffset, h.previousOffset + h.previousLength));
    assertEquals(ref.getKindCase().getNumber(), h.kind);
    if (refKind != null) {
      assertEquals(refKind, refKind.getParserForType().parseFrom(b, h.kindOffset, h.kindLength));
    }
    if (h.kind == EntryHeader.ROUND_ABORTED && h.readRoundAborted(b)) {
      assertEquals(ref.getRoundAborted().getRound(), h.round);
    }
    if (h.kind == EntryHeader.ROUND_STARTED && h.readRoundStarted(b)) {
      assertEquals(ref.getRoundStarted().getRound(), h.round);
      assertEquals(ref.getRoundStarted().getSampledSitesList(), h.sampledSites);
    }
  }

  /**
   * The audit reads entries where they lie in a chunk buffer: the same entry between bytes that
   * would change it if read (a varint tag of field 1, an overlong length) gives the same answer and
   * the same fields, at offsets shifted by where it starts.
   */
  private static void embedded(byte[] b, boolean plain, EntryHeader alone) {
    byte[] big = new byte[b.length + 7];
    Arrays.fill(big, (byte) 0x08);
    big[big.length - 1] = (byte) 0xff;
    System.arraycopy(b, 0, big, 5, b.length);
    EntryHeader h = new EntryHeader();
    assertEquals(plain, h.read(big, 5, b.length));
    if (plain) {
      assertEquals(alone.index, h.index);
      assertEquals(alone.timestampMillis, h.timestampMillis);
      assertEquals(alone.previousLength, h.previousLength);
      if (alone.previousLength > 0) {
        assertEquals(alone.previousOffset + 5, h.previousOffset);
      }
      assertEquals(alone.kind, h.kind);
      assertEquals(alone.kindLength, h.kindLength);
      if (alone.kind != 0) {
        assertEquals(alone.kindOffset + 5, h.kindOffset);
      }
    }
  }

  @Test
  void theFastReaderAgreesWithTheGeneratedParserOnEveryEntryAndEveryMutation() throws Exception {
    for (byte[] e : entries) {
      agree(e);
      for (int i = 0; i < e.length; i++) {
        for (int bit = 0; bit < 8; bit++) {
          byte[] m = e.clone();
          m[i] ^= (byte) (1 << bit);
          agree(m);
        }
        agree(Arrays.copyOf(e, i));
      }
    }
    assertTrue(fast > 10_000, "fast path taken " + fast + " times");
    assertTrue(slow > 1_000, "slow path taken " + slow + " times");
    assertTrue(rejected > 100, "fast header, kind rejected " + rejected + " times");
  }

  @Test
  void theRoundKindsOfAGeneratedLedgerTakeTheFastPath() throws Exception {
    int started = 0;
    int aborted = 0;
    for (byte[] e : LedgerFiles.read(rounds)) {
      EntryHeader h = new EntryHeader();
      assertTrue(h.read(e));
      if (h.kind == EntryHeader.ROUND_STARTED) {
        assertTrue(h.readRoundStarted(e));
        started++;
      } else if (h.kind == EntryHeader.ROUND_ABORTED && h.readRoundAborted(e)) {
        aborted++;
      }
    }
    assertEquals(40, started);
    assertEquals(40 - 40 / 7, aborted); // the non-ASCII reasons are left to protobuf's UTF-8 check
  }

  @Test
  void aNonUtf8ReasonIsRejectedWithTheGeneratedParsersMessage() throws Exception {
    List<byte[]> t = LedgerFiles.read(rounds);
    byte[] bad = t.get(2).clone();
    byte[] reason = Entry.parseFrom(bad).getRoundAborted().getReason().getBytes(StandardCharsets.UTF_8);
    int at = indexOf(bad, reason);
    assertTrue(at > 0);
    bad[at] = (byte) 0xff; // not UTF-8, which proto3 requires of a string
    t.set(2, bad);
    Path dir = Files.createDirectory(tmp.resolve("non-utf8"));
    Files.createDirectory(dir.resolve("checkpoints"));
    LedgerFiles.write(dir, t);
    String expected;
    try {
      Entry.parseFrom(bad);
      throw new AssertionError("protobuf accepted invalid UTF-8");
    } catch (InvalidProtocolBufferException ex) {
      expected = "ledger entry 2: not a valid entry: " + ex.getMessage();
    }
    CorruptLedgerException c = org.junit.jupiter.api.Assertions.assertThrows(CorruptLedgerException.class,
        () -> LedgerAudit.verify(dir));
    assertEquals(2, c.entryIndex());
    assertEquals(expected, c.getMessage());
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    return -1;
  }

  private static String outcome(Path dir, boolean parseFully) {
    try {
      AuditReport r = parseFully ? LedgerAudit.verifyParsingFully(dir) : LedgerAudit.verify(dir);
      return "ok " + r.entries() + " " + Arrays.toString(r.root()) + " " + r.checkpoints() + " "
          + r.cosignatures() + " " + r.signatures() + " " + r.sites() + " " + r.unprotectedUses();
    } catch (Exception e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  /** Each entry of both ledgers mutated (a bit flip at a random position, a truncation), checksums fixed. */
  @Test
  void theAuditReportsWhatTheFullParsingAuditReports() throws Exception {
    auditsAgree(2, 5, 150);
  }

  /** As above with seven bit flips per entry and another seed. */
  @Test
  @Tag("heavy")
  void theAuditReportsWhatTheFullParsingAuditReportsOnMoreMutations() throws Exception {
    auditsAgree(8, 6, 600);
  }

  /** {@code mutations} per entry: a truncation and bit flips at random positions. */
  private static void auditsAgree(int mutations, long seed, int minFailures) throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    int failures = 0;
    for (Path source : List.of(synthetic, rounds)) {
      List<byte[]> original = LedgerFiles.read(source);
      Path dir = Files.createDirectory(tmp.resolve("mutated-" + source.getFileName() + "-" + seed));
      Files.createDirectory(dir.resolve("checkpoints"));
      try (var s = Files.list(source.resolve("checkpoints"))) {
        for (Path p : s.toList()) {
          Files.copy(p, dir.resolve("checkpoints").resolve(p.getFileName()));
        }
      }
      LedgerFiles.write(dir, original);
      String untouched = outcome(dir, false);
      assertTrue(untouched.startsWith("ok "), untouched);
      assertEquals(outcome(dir, true), untouched);
      for (int i = 0; i < original.size(); i++) {
        for (int k = 0; k < mutations; k++) {
          List<byte[]> t = new ArrayList<>(original);
          byte[] e = original.get(i);
          byte[] m = k == 0 ? Arrays.copyOf(e, random.nextInt(e.length)) : e.clone();
          if (k > 0) {
            m[random.nextInt(m.length)] ^= (byte) (1 << random.nextInt(8));
          }
          t.set(i, m);
          LedgerFiles.write(dir, t);
          String got = outcome(dir, false);
          assertEquals(outcome(dir, true), got, "entry " + i + " mutation " + k);
          if (!got.startsWith("ok ")) {
            failures++;
          }
        }
      }
    }
    assertTrue(failures > minFailures, "mutations caught: " + failures);
  }
}
