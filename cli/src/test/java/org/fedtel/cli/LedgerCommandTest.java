package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedtel.ledger.MerkleProofs;
import org.fedtel.ledger.SyntheticLedger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end through the real command on a ledger written by the ledger module's builder. */
class LedgerCommandTest {
  @TempDir Path tmp;
  Path dir;
  long entries;

  @BeforeEach
  void build() throws Exception {
    dir = tmp.resolve("ledger");
    entries = SyntheticLedger.write(dir, 3, 4, 5, true);
  }

  private static FedtelCommandTest.Result run(String... args) {
    return FedtelCommandTest.run(args);
  }

  @Test
  void verifyPassesOnAnHonestLedger() {
    var r = run("-q", "ledger", "verify", dir.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().startsWith("OK  ledger"), r.out());
    assertTrue(r.out().contains(entries + " entries"), r.out());
    assertFalse(r.out().contains("WARNING"), r.out());
    var j = run("-q", "ledger", "verify", "--json", dir.toString());
    assertEquals(0, j.exit(), j.err());
    assertTrue(j.out().startsWith("{\"ok\":true"), j.out());
    assertTrue(j.out().contains("\"signed_entries\":" + entries + ","), j.out());
  }

  /** Entries that no signed root covers pass (nothing in them is wrong) but are pointed out. */
  @Test
  void verifyWarnsAboutEntriesNoSignedCheckpointCovers() throws Exception {
    try (org.fedtel.ledger.Ledger l = org.fedtel.ledger.Ledger.open(dir, SyntheticLedger.genesis(5),
        SyntheticLedger.coordinatorKey(5), java.time.Clock.fixed(java.time.Instant.parse("2100-01-01T00:00:00Z"), java.time.ZoneOffset.UTC))) {
      l.append(org.fedtel.ledger.v1.Entry.newBuilder().setRoundStarted(org.fedtel.ledger.v1.RoundStarted.newBuilder()
          .setRound(1000)));
    }
    var tail = run("-q", "ledger", "verify", dir.toString());
    assertEquals(0, tail.exit(), tail.err());
    assertTrue(tail.out().contains("WARNING: the last 1 entries (after the largest signed checkpoint, size " + entries + ")"),
        tail.out());

    Path unsigned = tmp.resolve("unsigned");
    long n = SyntheticLedger.write(unsigned, 3, 4, 5, false);
    var none = run("-q", "ledger", "verify", unsigned.toString());
    assertEquals(0, none.exit(), none.err());
    assertTrue(none.out().contains("WARNING: no signed checkpoint"), none.out());
    var j = run("-q", "ledger", "verify", "--json", unsigned.toString());
    assertTrue(j.out().contains("\"checkpoints\":0,\"signed_entries\":0,"), j.out());
    assertTrue(n > 0);
  }

  @Test
  void verifyFailsNamingTheFirstDamagedEntry() throws Exception {
    Path log = dir.resolve("entries.log");
    // Flip one byte inside entry 3's record (after the 8-byte header and 4-byte length of each record).
    long off = 8;
    try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
      for (int i = 0; i < 3; i++) {
        f.seek(off);
        off += 8 + f.readInt();
      }
      f.seek(off + 10);
      int b = f.read();
      f.seek(off + 10);
      f.write(b ^ 0x20);
    }
    var r = run("-q", "ledger", "verify", dir.toString());
    assertEquals(LedgerCommand.EXIT_VERIFY_FAILED, r.exit());
    assertEquals("fedtel: verification failed: ledger entry 3: record checksum mismatch (damaged bytes)",
        r.err().strip());
  }

  @Test
  void verifyRejectsACheckpointFromAnotherHistory() throws Exception {
    Path other = tmp.resolve("other");
    SyntheticLedger.write(other, 3, 4, 6, true); // a different seed: different keys and history
    Path note;
    try (var s = Files.list(other.resolve("checkpoints"))) {
      note = s.sorted().reduce((a, b) -> b).orElseThrow();
    }
    var r = run("-q", "ledger", "verify", "--checkpoint", note.toString(), dir.toString());
    assertEquals(LedgerCommand.EXIT_VERIFY_FAILED, r.exit());
    assertTrue(r.err().startsWith("fedtel: verification failed: checkpoint of size"), r.err());
  }

  @Test
  void showFiltersAndPrintsJson() {
    var r = run("ledger", "show", "--kind", "data-use", "--site", "site-01", dir.toString());
    assertEquals(0, r.exit(), r.err());
    for (String line : r.out().strip().split("\n")) {
      assertTrue(line.contains("data-use") && line.contains("site=site-01"), line);
    }
    var j = run("ledger", "show", "--json", "--round", "2", dir.toString());
    assertEquals(0, j.exit(), j.err());
    assertTrue(j.out().strip().startsWith("[") && j.out().strip().endsWith("]"), j.out());
    assertTrue(j.out().contains("\"kind\":\"round-started\"") && j.out().contains("\"round\":2"), j.out());
    assertTrue(!j.out().contains("\"round\":3"), j.out());
  }

  /**
   * Ledger strings are other parties' words: in the text listing, control characters (an escape
   * sequence, a newline that would forge a line) and backslashes are written escaped, one entry
   * per line; JSON keeps the exact string.
   */
  @Test
  void showPrintsControlCharactersEscaped() throws Exception {
    Path odd = tmp.resolve("odd");
    String reason = "bad\u001b[2Jnews\n#99     2026-01-01T00:00:00Z  data-use  site=forged\u0085 tab\tback\\slash";
    try (org.fedtel.ledger.Ledger l = org.fedtel.ledger.Ledger.open(odd, SyntheticLedger.genesis(4),
        SyntheticLedger.coordinatorKey(4),
        java.time.Clock.fixed(java.time.Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC))) {
      l.append(org.fedtel.ledger.v1.Entry.newBuilder().setRoundStarted(org.fedtel.ledger.v1.RoundStarted.newBuilder()
          .setRound(1)));
      l.append(org.fedtel.ledger.v1.Entry.newBuilder().setRoundAborted(org.fedtel.ledger.v1.RoundAborted.newBuilder()
          .setRound(1).setReason(reason)));
    }
    var r = run("ledger", "show", "--kind", "round-aborted", odd.toString());
    assertEquals(0, r.exit(), r.err());
    String out = r.out().strip();
    assertEquals(1, out.split("\n").length, out);
    assertTrue(out.chars().noneMatch(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f)), out);
    assertTrue(out.contains("bad\\u001b[2Jnews\\u000a#99") && out.contains("forged\\u0085 tab\\u0009back\\\\slash"), out);
    var j = run("ledger", "show", "--json", "--kind", "round-aborted", odd.toString());
    assertEquals(0, j.exit(), j.err());
    assertTrue(j.out().contains("\\u001b[2Jnews\\n#99"), j.out());
  }

  @Test
  void budgetTableListsEverySite() {
    var r = run("-q", "ledger", "budget", dir.toString());
    assertEquals(0, r.exit(), r.err());
    for (int s = 0; s < 3; s++) {
      assertTrue(r.out().contains(SyntheticLedger.siteId(s)), r.out());
    }
  }

  @Test
  void proveAndConsistencyPrintProofsThatVerify() throws Exception {
    var p = run("ledger", "prove", "--index", "4", dir.toString());
    assertEquals(0, p.exit(), p.err());
    MerkleProofs.verifyInclusion(4, entries, hexField(p.out(), "leaf_hash"), hexList(p.out()),
        hexField(p.out(), "root"));
    var c = run("ledger", "consistency", "--from", "5", dir.toString());
    assertEquals(0, c.exit(), c.err());
    MerkleProofs.verifyConsistency(5, entries, hexField(c.out(), "from_root"), hexField(c.out(), "to_root"),
        hexList(c.out()));
    var bad = run("ledger", "prove", "--index", String.valueOf(entries), dir.toString());
    assertEquals(FedtelCommand.EXIT_USER_ERROR, bad.exit());
  }

  @Test
  void missingDirectoryIsOneClearLine() {
    var r = run("ledger", "verify", tmp.resolve("nope").toString());
    assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit());
    assertEquals(1, r.err().strip().split("\n").length, r.err());
  }

  private static byte[] hexField(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":\"([0-9a-f]+)\"").matcher(json);
    assertTrue(m.find(), name + " in " + json);
    return HexFormat.of().parseHex(m.group(1));
  }

  private static List<byte[]> hexList(String json) {
    Matcher m = Pattern.compile("\"proof\":\\[([^\\]]*)\\]").matcher(json);
    assertTrue(m.find(), json);
    List<byte[]> out = new ArrayList<>();
    Matcher h = Pattern.compile("\"([0-9a-f]{64})\"").matcher(m.group(1));
    while (h.find()) {
      out.add(HexFormat.of().parseHex(h.group(1)));
    }
    return out;
  }
}
