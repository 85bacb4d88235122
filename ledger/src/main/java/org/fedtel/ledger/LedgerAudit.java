package org.fedtel.ledger;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.ledger.v1.BudgetExhausted;
import org.fedtel.ledger.v1.DataUse;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.Genesis;
import org.fedtel.ledger.v1.ModelReleased;
import org.fedtel.ledger.v1.PrivacyMode;
import org.fedtel.ledger.v1.RoundAborted;
import org.fedtel.ledger.v1.RoundCommitted;
import org.fedtel.ledger.v1.RoundStarted;
import org.fedtel.ledger.v1.SiteEnrolled;
import org.fedtel.privacy.accounting.RdpAccountant;

/**
 * The auditor's check of a ledger directory, trusting nothing in it: the records and their
 * checksums, indexes, the hash chain, monotone timestamps, the rules of each entry kind, both
 * signatures of every data use against the enrolled keys, every signed checkpoint against the root
 * recomputed from the entries (and any checkpoints the auditor obtained elsewhere), every
 * cosignature, and each site's privacy spend recomputed with the privacy module's RDP accountant
 * from the recorded mechanism parameters. Stops at the first failure with a
 * {@link CorruptLedgerException} naming the entry (or a {@link LedgerException} for a checkpoint).
 */
public final class LedgerAudit {
  /** Recorded and recomputed ε agree when |a − b| ≤ 1e-6 · max(1, |b|). */
  public static final double EPSILON_TOLERANCE = 1e-6;

  private final Path dir;
  private final List<SignedNote> trusted;
  private final LedgerAudit.Progress progress;
  /** Every entry through the generated parser: the reference the fast path is tested against. */
  private final boolean parseFully;
  /** Hashing threads of the scan; 0: everything on the calling thread (the reference). */
  private final int threads;
  private final int chunkEntries;
  private final int chunkBytes;

  /** Progress callback (entries done). */
  public interface Progress {
    void entries(long done, long total);
  }

  private LedgerAudit(Path dir, List<SignedNote> trusted, Progress progress, boolean parseFully, int threads,
      int chunkEntries, int chunkBytes) {
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be at least 0, got " + threads);
    }
    this.dir = dir;
    this.trusted = List.copyOf(trusted);
    this.progress = progress;
    this.parseFully = parseFully;
    this.threads = threads;
    this.chunkEntries = chunkEntries;
    this.chunkBytes = chunkBytes;
  }

  /**
   * Hashing threads {@link #verify(Path, List, Progress)} uses beside the checking thread, which
   * hashes too whenever it would otherwise wait: one per processor but one, and at least one.
   */
  public static int defaultThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
  }

  /**
   * Audits {@code dir}. {@code trustedCheckpoints} are checkpoints the auditor holds from elsewhere
   * (a site, an earlier copy): each must be signed by the coordinator and match this ledger's root of
   * its size, otherwise the history was forked or rewritten.
   */
  public static AuditReport verify(Path dir, List<SignedNote> trustedCheckpoints, Progress progress)
      throws IOException, LedgerException {
    return verify(dir, trustedCheckpoints, progress, defaultThreads());
  }

  /**
   * {@link #verify(Path, List, Progress)} with {@code threads} threads hashing the entries (leaf and
   * node hashes) beside the thread that checks them in order, which hashes too whenever it would
   * otherwise wait; 0 does everything on the calling thread (the one-thread reference). The outcome
   * — report, or the first failure and its message — does not depend on it.
   */
  public static AuditReport verify(Path dir, List<SignedNote> trustedCheckpoints, Progress progress, int threads)
      throws IOException, LedgerException {
    return new LedgerAudit(dir, trustedCheckpoints, progress, false, threads, ChunkedScan.CHUNK_ENTRIES,
        ChunkedScan.CHUNK_BYTES).run();
  }

  /** The audit with chunks of the given size (tests put chunk boundaries where they want them). */
  static AuditReport verify(Path dir, List<SignedNote> trustedCheckpoints, int threads, int chunkEntries,
      int chunkBytes) throws IOException, LedgerException {
    return new LedgerAudit(dir, trustedCheckpoints, (d, t) -> { }, false, threads, chunkEntries, chunkBytes).run();
  }

  /** The same audit with every entry parsed by the generated parser (the slow reference, for tests). */
  static AuditReport verifyParsingFully(Path dir) throws IOException, LedgerException {
    return new LedgerAudit(dir, List.of(), (d, t) -> { }, true, 0, 1, 1).run();
  }

  public static AuditReport verify(Path dir) throws IOException, LedgerException {
    return verify(dir, List.of(), (d, t) -> { });
  }

  private static final class Site {
    final SiteEnrolled enrolled;
    final VerifyingKey key;
    final RdpAccountant accountant = new RdpAccountant();
    long uses;
    double spent;
    double delta;
    boolean unprotected;
    boolean exhausted;

    Site(SiteEnrolled enrolled, VerifyingKey key) {
      this.enrolled = enrolled;
      this.key = key;
    }
  }

  private static final class Round {
    final Set<String> sampled;
    /** Sites with a data use in this round; allocated on the first one (most rounds of a long ledger have none open). */
    private Set<String> used;
    boolean closed;
    byte[] model;

    /** Every aborted round: closed, no model, and never changed again. */
    static final Round ABORTED = new Round(Set.of());

    static {
      ABORTED.closed = true;
    }

    Round(Set<String> sampled) {
      this.sampled = sampled;
    }

    /** False when {@code site} already has a data use in this round. */
    boolean markUsed(String site) {
      if (used == null) {
        used = new HashSet<>();
      }
      return used.add(site);
    }

    boolean wasUsed(String site) {
      return used != null && used.contains(site);
    }
  }

  /**
   * Rounds by number. Rounds are started in strictly increasing order, and a long ledger is mostly
   * rounds started with no sampled site and aborted with nothing recorded in them. So the started
   * numbers are kept as ranges of consecutive numbers, which of them were aborted as one bit each,
   * and a {@link Round} object only for a round something was recorded in (or that sampled sites).
   * Half a million rounds started and aborted take a few dozen kilobytes here instead of the
   * megabytes of a table with a slot per round: every megabyte the audit allocates is memory the
   * process touches for the first time, and on the benchmark machine a first touch (a page fault)
   * costs 13–18 µs per 4 KiB page (`AuditMemory`, docs/BENCHMARKS.md): 20–27 ms of the checking thread's
   * time per audit of a million entries for the old table's 6 MB.
   */
  private static final class Rounds {
    /** Range r holds the numbers [firsts[r], firsts[r] + lengths[r]), whose ordinals start at bases[r]. */
    private long[] firsts = new long[4];
    private long[] lengths = new long[4];
    private long[] bases = new long[4];
    private int ranges;
    /** Rounds started so far, and the last number. */
    private long count;
    private long last;
    /** Bit o: the round of ordinal o was aborted; it has a state in {@link #states}. */
    private long[] aborted = new long[16];
    private long[] stated = new long[16];
    /** Rounds with a state of their own (sampled sites, data uses, a commit), by number. */
    private final Map<Long, Round> states = new HashMap<>();

    void add(long number, Round round) {
      if (count > 0 && number <= last) {
        throw new IllegalArgumentException("rounds must be added in increasing order");
      }
      if (ranges > 0 && number == last + 1) {
        lengths[ranges - 1]++;
      } else {
        if (ranges == firsts.length) {
          firsts = Arrays.copyOf(firsts, 2 * ranges);
          lengths = Arrays.copyOf(lengths, 2 * ranges);
          bases = Arrays.copyOf(bases, 2 * ranges);
        }
        firsts[ranges] = number;
        lengths[ranges] = 1;
        bases[ranges] = count;
        ranges++;
      }
      if ((count >>> 6) >= aborted.length) {
        aborted = Arrays.copyOf(aborted, 2 * aborted.length);
        stated = Arrays.copyOf(stated, 2 * stated.length);
      }
      last = number;
      long o = count++;
      if (round != null) {
        setState(o, number, round);
      }
    }

    /** The round, null when it was never added; a round added with no state gets a fresh open one. */
    Round get(long number) {
      long o = ordinal(number);
      if (o < 0) {
        return null;
      }
      if (bit(aborted, o)) {
        return Round.ABORTED;
      }
      if (bit(stated, o)) {
        return states.get(number);
      }
      Round r = new Round(Set.of());
      setState(o, number, r);
      return r;
    }

    /**
     * Closes a round added with no state and given none since (the state a fresh {@code new
     * Round(Set.of())} has: open, no data use, no model) as aborted; false otherwise.
     */
    boolean abortUntouched(long number) {
      long o = ordinal(number);
      if (o < 0 || bit(aborted, o) || bit(stated, o)) {
        return false;
      }
      aborted[(int) (o >>> 6)] |= 1L << o;
      return true;
    }

    /** Replaces the state of a round that was added. */
    void set(long number, Round round) {
      long o = ordinal(number);
      if (o < 0) {
        throw new IllegalArgumentException("round " + number + " was never added");
      }
      if (round == Round.ABORTED) {
        aborted[(int) (o >>> 6)] |= 1L << o;
        stated[(int) (o >>> 6)] &= ~(1L << o);
        states.remove(number);
      } else {
        aborted[(int) (o >>> 6)] &= ~(1L << o);
        setState(o, number, round);
      }
    }

    private void setState(long o, long number, Round round) {
      stated[(int) (o >>> 6)] |= 1L << o;
      states.put(number, round);
    }

    private static boolean bit(long[] bits, long o) {
      return (bits[(int) (o >>> 6)] & (1L << o)) != 0;
    }

    /** The position of {@code number} among the rounds added, or -1 when it was never added. */
    private long ordinal(long number) {
      int lo = 0;
      int hi = ranges - 1;
      if (hi >= 0 && number >= firsts[hi]) {
        lo = hi; // the last range: where an audit mostly looks
      }
      while (lo < hi) {
        int mid = (lo + hi + 1) >>> 1;
        if (firsts[mid] <= number) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      if (ranges == 0 || number < firsts[lo] || number - firsts[lo] >= lengths[lo]) {
        return -1;
      }
      return bases[lo] + (number - firsts[lo]);
    }
  }

  // State of the pass.
  private Genesis genesis;
  private VerifyingKey coordinator;
  private final Map<String, Site> sites = new LinkedHashMap<>();
  private final Rounds rounds = new Rounds();
  private long lastRound = -1;
  private long lastTimestamp = Long.MIN_VALUE;
  private final byte[] lastLeaf = new byte[32];
  private SignatureChecks signatures;
  private long unprotected;
  private long currentIndex;
  private final Map<String, RdpAccountant> singleUse = new HashMap<>();
  private final EntryHeader header = new EntryHeader();
  private ChunkedScan scanner;
  private TreeMap<Long, List<SignedNote>> toCheck;
  /** Sizes with a checkpoint to check, ascending, and the next one not yet reached. */
  private long[] rootSizes;
  private int nextRoot;
  private long fileLength;
  private int cosigs;
  private int verifiedCheckpoints;
  /** Size of the largest verified checkpoint: the entries a coordinator's signature covers. */
  private long signedEntries;

  private AuditReport run() throws IOException, LedgerException {
    try (SignatureChecks checks = new SignatureChecks()) {
      signatures = checks;
      AuditReport r;
      try {
        r = runChecks();
      } catch (LedgerException e) {
        // A signature check still running for an earlier entry may be the first failure.
        checks.awaitAll(e instanceof CorruptLedgerException c ? c.entryIndex() : currentIndex);
        throw e;
      }
      checks.awaitAll(Long.MAX_VALUE);
      return r;
    }
  }

  private AuditReport runChecks() throws IOException, LedgerException {
    Path file = dir.resolve(EntryLog.FILE);
    if (!Files.isRegularFile(file)) {
      throw new LedgerException(dir + " is not a ledger: " + EntryLog.FILE + " is missing");
    }
    fileLength = Files.size(file);
    // Leaf and node hashes are computed by the scan's hashing threads; the roots of checkpointed
    // sizes are joined from their subtrees here, in entry order, like every other check.
    scanner = new ChunkedScan(file, threads, chunkEntries, chunkBytes);
    EntryLog.Scan scan = scanner.run(new ChunkedScan.Visitor() {
      @Override
      public void start() throws IOException, LedgerException {
        readCheckpoints();
      }

      @Override
      public void entry(long index, long offset, byte[] buf, int off, int len, byte[] leaves, int leafOffset)
          throws LedgerException {
        entry(index, offset, buf, off, len, leaves, leafOffset, null, 0);
      }

      @Override
      public void entry(long index, long offset, byte[] buf, int off, int len, byte[] leaves, int leafOffset,
          ChunkedScan.Headers headers, int i) throws LedgerException {
        visit(index, offset, buf, off, len, leaves, leafOffset, headers, i);
      }

      @Override
      public boolean continuing(long index, ChunkedScan.Headers headers, int from, int to, byte[] leaves,
          long lastOffset) throws LedgerException {
        if (parseFully) {
          return false;
        }
        visitContinuing(index, headers, from, to, leaves, lastOffset);
        return true;
      }
    });
    if (scan.torn()) {

      throw new CorruptLedgerException(scan.entries(), "incomplete record at the end of the entries file ("
          + scan.tornTail() + "): a torn write or a truncated copy");
    }
    if (scan.entries() == 0) {
      throw new CorruptLedgerException(0, "the genesis entry is missing");
    }
    // Sizes larger than the ledger (or size 0) are left.
    for (Map.Entry<Long, List<SignedNote>> e : toCheck.entrySet()) {
      if (e.getKey() == 0) {
        for (SignedNote n : e.getValue()) {
          cosigs += checkCheckpoint(n, 0, MerkleTree.emptyRoot(), 0);
        }
        continue;
      }
      throw new LedgerException("checkpoint of size " + e.getKey() + " is signed, but the ledger holds only "
          + scan.entries() + " entries: entries at the end were removed");
    }
    progress.entries(fileLength, fileLength);
    List<AuditReport.SiteBudget> budgets = new ArrayList<>();
    for (Site s : sites.values()) {
      budgets.add(new AuditReport.SiteBudget(s.enrolled.getSiteId(), s.uses, s.spent, s.delta,
          s.enrolled.getBudgetEpsilon(), s.enrolled.getBudgetDelta(), s.unprotected, s.exhausted));
    }
    return new AuditReport(genesis.getConsortiumId(), genesis.getOrigin(), scan.entries(), scanner.root(),
        verifiedCheckpoints, signedEntries, cosigs, 2 * signatures.submitted(), budgets, unprotected);
  }

  /** The ledger's checkpoints and the trusted ones, by size: what {@link #visit} checks the roots against. */
  private void readCheckpoints() throws IOException, LedgerException {
    TreeMap<Long, SignedNote> checkpoints = Checkpoints.readAll(dir);
    toCheck = new TreeMap<>();
    checkpoints.forEach((size, note) -> toCheck.computeIfAbsent(size, k -> new ArrayList<>()).add(note));
    for (SignedNote t : trusted) {
      toCheck.computeIfAbsent(Checkpoint.parse(t.text()).size(), k -> new ArrayList<>()).add(t);
    }
    rootSizes = toCheck.keySet().stream().mapToLong(Long::longValue).toArray();
  }

  /** One entry, in file order: its checks, its leaf for the next entry's chain, the checkpoints of its size. */
  private void visit(long index, long offset, byte[] buf, int off, int len, byte[] leaves, int leafOffset,
      ChunkedScan.Headers headers, int i) throws LedgerException {
    currentIndex = index;
    if (headers == null || parseFully || headers.kinds[i] == ChunkedScan.Headers.OTHER) {
      checkEntry(index, buf, off, len);
    } else {
      checkReadHeader(index, buf, headers, i);
    }
    // The next entry needs this leaf in lastLeaf only if it is read here from its bytes or is the
    // first of its chunk; otherwise its hashing thread has compared it already (Headers.chained).
    if (headers == null || parseFully || i + 1 >= headers.count || headers.kinds[i + 1] == ChunkedScan.Headers.OTHER) {
      System.arraycopy(leaves, leafOffset, lastLeaf, 0, lastLeaf.length);
    }
    long size = index + 1;
    int k = nextRoot;
    while (k < rootSizes.length && rootSizes[k] < size) {
      k++;
    }
    if (k < rootSizes.length && rootSizes[k] == size) {
      checkCheckpoints(size, scanner.root());
      k++;
    }
    nextRoot = k;
    if ((index & 0xffff) == 0) {
      progress.entries(offset, fileLength);
    }
  }

  /**
   * Entries [from, to) of a chunk, the first being entry {@code index}, each of which continues the
   * one before it ({@link ChunkedScan.Headers#continuing}: given that the entry before passed, it
   * passes every check of {@link #checkReadHeader}). So only their effect is applied here — rounds
   * started and aborted, the last timestamp, round and leaf — together with the checks that are not
   * the entry's own: the checkpoints of their sizes, in entry order.
   */
  private void visitContinuing(long index, ChunkedScan.Headers headers, int from, int to, byte[] leaves,
      long lastOffset) throws LedgerException {
    long last = index + (to - from) - 1;
    int k = nextRoot;
    while (k < rootSizes.length && rootSizes[k] <= index) {
      k++;
    }
    long checkpointSize = k < rootSizes.length ? rootSizes[k] : Long.MAX_VALUE;
    for (int i = from; i < to; i++) {
      long round = headers.rounds[i];
      if (headers.kinds[i] == ChunkedScan.Headers.ROUND_STARTED) {
        rounds.add(round, null);
      } else if (!rounds.abortUntouched(round)) {
        throw new IllegalStateException("round " + round + " was not open and untouched when entry "
            + (index + i - from) + " aborted it");
      }
      long size = index + (i - from) + 1;
      if (size == checkpointSize) {
        currentIndex = size - 1;
        checkCheckpoints(size, scanner.root(size));
        k++;
        checkpointSize = k < rootSizes.length ? rootSizes[k] : Long.MAX_VALUE;
      }
    }
    nextRoot = k;
    currentIndex = last;
    lastRound = headers.rounds[to - 1];
    lastTimestamp = headers.timestamps[to - 1];
    System.arraycopy(leaves, (to - 1) * lastLeaf.length, lastLeaf, 0, lastLeaf.length);
    if ((index - 1) >>> 16 != last >>> 16) {
      progress.entries(lastOffset, fileLength);
    }
  }

  /**
   * An entry whose header a hashing thread read ({@link ChunkedScan.Headers}): the checks
   * {@link #checkEntry} runs on a round_started (no sampled site) or round_aborted entry read the
   * same way, on the numbers read, in the same order and with the same messages.
   */
  private void checkReadHeader(long index, byte[] buf, ChunkedScan.Headers headers, int i) throws LedgerException {
    boolean chained;
    if (i > 0) {
      chained = headers.chained[i];
    } else {
      int at = headers.previousOffsets[i];
      int length = headers.previousLengths[i];
      chained = length == lastLeaf.length && Arrays.equals(buf, at, at + length, lastLeaf, 0, length);
    }
    checkHeader(index, headers.indexes[i], headers.timestamps[i], chained, false);
    if (headers.kinds[i] == ChunkedScan.Headers.ROUND_ABORTED) {
      abort(index, headers.rounds[i]);
    } else {
      roundStarted(index, headers.rounds[i], List.of());
    }
  }

  /** The checkpoints of {@code size} (the ledger's and trusted ones), against the entries' {@code root}. */
  private void checkCheckpoints(long size, byte[] root) throws LedgerException {
    for (SignedNote n : toCheck.remove(size)) {
      cosigs += checkCheckpoint(n, size, root, size - 1);
      verifiedCheckpoints++;
      signedEntries = Math.max(signedEntries, size);
    }
  }

  private int checkCheckpoint(SignedNote note, long size, byte[] root, long index) throws LedgerException {
    String where = "checkpoint of size " + size;
    Checkpoint c;
    try {
      c = Checkpoint.parse(note.text());
      note.verify(NoteVerifier.of(genesis.getOrigin(), coordinator));
    } catch (NoteException e) {
      throw new LedgerException(where + ": " + e.getMessage(), e);
    }
    if (!c.origin().equals(genesis.getOrigin())) {
      throw new LedgerException(where + ": origin '" + c.origin() + "' is not the ledger's '"
          + genesis.getOrigin() + "'");
    }
    if (!MessageDigest.isEqual(c.root(), root)) {
      throw new CorruptLedgerException(index, where + " is signed with a different root than the entries give:"
          + " the history up to entry " + index + " was changed or forked");
    }
    // C2SP signed-note identifies a signature by (key name, key ID): a repeated line is one
    // cosignature, and a line whose key ID is not the coordinator's or the named site's enrolled key
    // is refused alike whatever its name (stricter than C2SP, which ignores unknown keys: every
    // line other than the coordinator's must be an enrolled site's cosignature).
    NoteVerifier log = NoteVerifier.of(genesis.getOrigin(), coordinator);
    Set<String> counted = new HashSet<>();
    for (NoteSignature s : note.signatures()) {
      if (log.matches(s)) {
        continue; // verified by note.verify above
      }
      Site site = s.name().equals(genesis.getOrigin()) ? null : sites.get(s.name());
      if (site == null && !s.name().equals(genesis.getOrigin())) {
        throw new LedgerException(where + ": cosignature by '" + s.name() + "', which is not an enrolled site");
      }
      NoteVerifier v = site == null ? log : NoteVerifier.of(s.name(), site.key);
      if (!v.matches(s)) {
        throw new LedgerException(where + ": signature line by '" + s.name() + "' with key id "
            + NoteKeys.hex8(s.keyHash()) + " is not by a known key (" + (site == null ? "the coordinator's key id is "
            : "site '" + s.name() + "' is enrolled with key id ") + NoteKeys.hex8(v.keyHash()) + ")");
      }
      // Verified on the signature threads, reported in entry order like a data use's signatures.
      signatures.queue(index, () -> {
        try {
          v.verify(note.text(), s);
          return null;
        } catch (NoteException e) {
          return new LedgerException(where + ": cosignature of site '" + s.name() + "' does not verify", e);
        }
      });
      counted.add(s.name() + "+" + NoteKeys.hex8(s.keyHash()));
    }
    return counted.size();
  }

  /** Checks entry {@code index}, the bytes {@code buf[off, off + len)}. */
  private void checkEntry(long index, byte[] buf, int off, int len) throws LedgerException {
    EntryHeader h = header;
    if (parseFully || !h.read(buf, off, len)) {
      checkParsed(index, parse(index, buf, off, len));
      return;
    }
    // The kinds a long ledger is mostly made of (besides data uses) are read without parsing.
    if (h.kind == EntryHeader.ROUND_ABORTED && h.readRoundAborted(buf)) {
      checkHeader(index, h.index, h.timestampMillis, buf, h.previousOffset, h.previousLength, false);
      abort(index, h.round);
      return;
    }
    if (h.kind == EntryHeader.ROUND_STARTED && h.readRoundStarted(buf)) {
      checkHeader(index, h.index, h.timestampMillis, buf, h.previousOffset, h.previousLength, false);
      roundStarted(index, h.round, h.sampledSites);
      return;
    }
    Entry.KindCase kind = h.kind == 0 ? Entry.KindCase.KIND_NOT_SET : Entry.KindCase.forNumber(h.kind);
    MessageLite m;
    try {
      m = parseKind(kind, buf, h.kindOffset, h.kindLength);
    } catch (InvalidProtocolBufferException ex) {
      // The full parser rejects it too; let it word the error as it always has.
      checkParsed(index, parse(index, buf, off, len));
      return;
    }
    checkHeader(index, h.index, h.timestampMillis, buf, h.previousOffset, h.previousLength,
        kind == Entry.KindCase.GENESIS);
    checkKind(index, kind, m);
  }

  private static Entry parse(long index, byte[] buf, int off, int len) throws CorruptLedgerException {
    try {
      return Entry.parser().parseFrom(buf, off, len);
    } catch (InvalidProtocolBufferException ex) {
      throw new CorruptLedgerException(index, "not a valid entry: " + ex.getMessage());
    }
  }

  /** The kind's message parsed from its bytes inside the entry (null for none). */
  private static MessageLite parseKind(Entry.KindCase kind, byte[] b, int off, int len)
      throws InvalidProtocolBufferException {
    return switch (kind) {
      case GENESIS -> Genesis.parser().parseFrom(b, off, len);
      case SITE_ENROLLED -> SiteEnrolled.parser().parseFrom(b, off, len);
      case ROUND_STARTED -> RoundStarted.parser().parseFrom(b, off, len);
      case DATA_USE -> DataUse.parser().parseFrom(b, off, len);
      case ROUND_COMMITTED -> RoundCommitted.parser().parseFrom(b, off, len);
      case ROUND_ABORTED -> RoundAborted.parser().parseFrom(b, off, len);
      case BUDGET_EXHAUSTED -> BudgetExhausted.parser().parseFrom(b, off, len);
      case MODEL_RELEASED -> ModelReleased.parser().parseFrom(b, off, len);
      case KIND_NOT_SET -> null;
    };
  }

  /** The slow path: an entry the generated parser accepted (in a layout {@link EntryHeader} leaves to it). */
  private void checkParsed(long index, Entry e) throws LedgerException {
    byte[] previous = e.getPreviousHash().toByteArray();
    checkHeader(index, e.getIndex(), e.getTimestampMillis(), previous, 0, previous.length, e.hasGenesis());
    MessageLite m = switch (e.getKindCase()) {
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
    checkKind(index, e.getKindCase(), m);
  }

  /** Index, chain and timestamp; previous_hash is {@code previous[offset, offset + length)}. */
  private void checkHeader(long index, long recordedIndex, long timestampMillis, byte[] previous, int offset,
      int length, boolean isGenesis) throws LedgerException {
    checkHeader(index, recordedIndex, timestampMillis,
        length == lastLeaf.length && Arrays.equals(previous, offset, offset + length, lastLeaf, 0, length), isGenesis);
  }

  /** Index, chain ({@code chained}: previous_hash is the previous entry's leaf hash) and timestamp. */
  private void checkHeader(long index, long recordedIndex, long timestampMillis, boolean chained, boolean isGenesis)
      throws LedgerException {
    if (recordedIndex != index) {
      throw new CorruptLedgerException(index, "index field says " + recordedIndex
          + " (entries were removed, inserted or reordered)");
    }
    if (!chained) {
      throw new CorruptLedgerException(index, "previous-hash mismatch (the entry before it was changed, removed"
          + " or reordered)");
    }
    if (timestampMillis < lastTimestamp) {
      throw new CorruptLedgerException(index, "timestamp " + timestampMillis + " is before the previous "
          + lastTimestamp);
    }
    lastTimestamp = timestampMillis;
    if (index == 0 && !isGenesis) {
      throw new CorruptLedgerException(0, "first entry is not a genesis entry");
    }
  }

  private void checkKind(long index, Entry.KindCase kind, MessageLite m) throws LedgerException {
    switch (kind) {
      case GENESIS -> genesis(index, (Genesis) m);
      case SITE_ENROLLED -> enrol(index, (SiteEnrolled) m);
      case ROUND_STARTED -> {
        var r = (RoundStarted) m;
        roundStarted(index, r.getRound(), r.getSampledSitesList());
      }
      case DATA_USE -> dataUse(index, (DataUse) m);
      case ROUND_COMMITTED -> {
        var c = (RoundCommitted) m;
        Round r = openRound(index, c.getRound());
        for (String s : c.getSurvivorsList()) {
          if (!r.sampled.contains(s)) {
            throw new CorruptLedgerException(index, "round " + c.getRound() + " survivor '" + s + "' was not sampled");
          }
          if (!r.wasUsed(s)) {
            throw new CorruptLedgerException(index, "round " + c.getRound() + " survivor '" + s
                + "' has no data-use entry");
          }
        }
        r.closed = true;
        r.model = c.getModelSha256().toByteArray();
      }
      case ROUND_ABORTED -> abort(index, ((RoundAborted) m).getRound());
      case BUDGET_EXHAUSTED -> {
        var b = (BudgetExhausted) m;
        Site s = sites.get(b.getSiteId());
        if (s == null) {
          throw new CorruptLedgerException(index, "budget exhausted for '" + b.getSiteId()
              + "', which is not enrolled");
        }
        s.exhausted = true;
      }
      case MODEL_RELEASED -> {
        var released = (ModelReleased) m;
        Round r = rounds.get(released.getRound());
        if (r == null || !r.closed || r.model == null) {
          throw new CorruptLedgerException(index, "model released from round " + released.getRound()
              + ", which was not committed");
        }
        if (!MessageDigest.isEqual(r.model, released.getModelSha256().toByteArray())) {
          throw new CorruptLedgerException(index, "released model hash is not the one round " + released.getRound()
              + " committed");
        }
      }
      case KIND_NOT_SET -> throw new CorruptLedgerException(index, "entry has no kind (unknown entry type)");
    }
  }

  private void roundStarted(long index, long round, List<String> sampledSites) throws LedgerException {
    if (round <= lastRound) {
      throw new CorruptLedgerException(index, "round " + round + " does not follow round " + lastRound);
    }
    Set<String> sampled = sampledSites.isEmpty() ? Set.of() : new HashSet<>();
    for (String s : sampledSites) {
      if (!sites.containsKey(s)) {
        throw new CorruptLedgerException(index, "round " + round + " samples '" + s + "', which is not enrolled");
      }
      if (!sampled.add(s)) {
        throw new CorruptLedgerException(index, "round " + round + " samples '" + s + "' twice");
      }
    }
    lastRound = round;
    rounds.add(round, sampled.isEmpty() ? null : new Round(sampled));
  }

  private void genesis(long index, Genesis g) throws LedgerException {
    if (index != 0) {
      throw new CorruptLedgerException(index, "a second genesis entry");
    }
    try {
      coordinator = VerifyingKey.fromBytes(g.getCoordinatorKey().toByteArray());
    } catch (InvalidKeyException ex) {
      throw new CorruptLedgerException(0, "coordinator key: " + ex.getMessage());
    }
    if (!NoteKeys.validName(g.getOrigin())) {
      throw new CorruptLedgerException(0, "origin '" + g.getOrigin() + "' is not a valid key name");
    }
    genesis = g;
  }

  private void enrol(long index, SiteEnrolled s) throws LedgerException {
    String id = s.getSiteId();
    // The writer's rules (Ledger.appendAll refuses such an enrolment), checked again: the auditor
    // trusts no writer.
    String problem = Ledger.enrolmentProblem(s);
    if (problem != null) {
      throw new CorruptLedgerException(index, problem);
    }
    if (sites.containsKey(id)) {
      throw new CorruptLedgerException(index, "site '" + id + "' is enrolled twice");
    }
    try {
      sites.put(id, new Site(s, VerifyingKey.fromBytes(s.getSigningKey().toByteArray())));
    } catch (InvalidKeyException ex) {
      throw new CorruptLedgerException(index, "site '" + id + "' signing key: " + ex.getMessage());
    }
  }

  private void abort(long index, long round) throws LedgerException {
    if (rounds.abortUntouched(round)) {
      return; // it was open: openRound would have passed
    }
    openRound(index, round);
    // Nothing of an aborted round is consulted again except that it is closed: share one object, so
    // that a long ledger of rounds keeps no per-round garbage alive (it showed as long GC pauses).
    rounds.set(round, Round.ABORTED);
  }

  private Round openRound(long index, long round) throws LedgerException {
    Round r = rounds.get(round);
    if (r == null) {
      throw new CorruptLedgerException(index, "round " + round + " was never started");
    }
    if (r.closed) {
      throw new CorruptLedgerException(index, "round " + round + " is already committed or aborted");
    }
    return r;
  }

  private void dataUse(long index, DataUse d) throws LedgerException {
    byte[] body = d.getBody().toByteArray();
    DataUseBody u;
    try {
      u = DataUseBody.parseFrom(body);
    } catch (InvalidProtocolBufferException ex) {
      throw new CorruptLedgerException(index, "data-use body is not valid: " + ex.getMessage());
    }
    String id = u.getSiteId();
    Site site = sites.get(id);
    if (site == null) {
      throw new CorruptLedgerException(index, "data use by '" + id + "', which is not enrolled");
    }
    byte[] siteSig = d.getSiteSignature().toByteArray();
    byte[] coordinatorSig = d.getCoordinatorSignature().toByteArray();
    VerifyingKey siteKey = site.key;
    VerifyingKey coordinatorKey = coordinator;
    signatures.check(index, () -> {
      try {
        DataUseSignatures.verifySite(siteKey, body, siteSig);
      } catch (SignatureException ex) {
        return "site signature of '" + id + "' does not verify";
      }
      try {
        DataUseSignatures.verifyCoordinator(coordinatorKey, body, siteSig, coordinatorSig);
      } catch (SignatureException ex) {
        return "coordinator signature does not verify";
      }
      return null;
    });
    Round r = openRound(index, u.getRound());
    if (!r.sampled.contains(id)) {
      throw new CorruptLedgerException(index, "data use by '" + id + "' in round " + u.getRound()
          + ", which did not sample it");
    }
    if (!r.markUsed(id)) {
      throw new CorruptLedgerException(index, "second data use by '" + id + "' in round " + u.getRound());
    }
    if (site.exhausted) {
      throw new CorruptLedgerException(index, "data use by '" + id + "' after its budget was recorded exhausted");
    }
    site.uses++;
    privacy(index, site, u);
  }

  private void privacy(long index, Site site, DataUseBody u) throws LedgerException {
    String id = u.getSiteId();
    SiteEnrolled declared = site.enrolled;
    double delta = u.getDelta();
    double roundEps;
    double cumulative;
    if (u.getPrivacyMode() == PrivacyMode.PRIVACY_MODE_NONE) {
      site.unprotected = true;
      unprotected++;
      roundEps = Double.POSITIVE_INFINITY;
      cumulative = Double.POSITIVE_INFINITY;
    } else if (u.getPrivacyMode() == PrivacyMode.PRIVACY_MODE_LOCAL
        || u.getPrivacyMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED) {
      double q = u.getSamplingRate();
      double z = u.getNoiseMultiplier();
      // steps is a uint64: one of 2^63 or more reads as a negative long, and is as invalid as 0.
      if (!(q > 0 && q <= 1) || !(z > 0) || Double.isInfinite(z) || u.getSteps() <= 0
          || !(u.getClipNorm() > 0) || Double.isInfinite(u.getClipNorm()) || !(delta > 0 && delta < 1)) {
        throw new CorruptLedgerException(index, "data use by '" + id + "' records invalid mechanism parameters"
            + " (q=" + q + ", z=" + z + ", steps=" + Long.toUnsignedString(u.getSteps()) + ", clip="
            + u.getClipNorm() + ", δ=" + delta + ")");
      }
      boolean classic;
      switch (u.getAccountant()) {
        case "rdp" -> classic = false;
        case "rdp-classic" -> classic = true;
        default -> throw new CorruptLedgerException(index, "unknown accountant '" + u.getAccountant() + "'");
      }
      String key = q + "/" + z + "/" + u.getSteps();
      try {
        RdpAccountant one = singleUse.computeIfAbsent(key,
            k -> new RdpAccountant().composeSampledGaussian(q, z, u.getSteps()));
        site.accountant.compose(one);
        roundEps = classic ? one.epsilonClassic(delta) : one.epsilon(delta);
        cumulative = site.unprotected ? Double.POSITIVE_INFINITY
            : classic ? site.accountant.epsilonClassic(delta) : site.accountant.epsilon(delta);
      } catch (IllegalArgumentException | ArithmeticException e) {
        // Parameters no real mechanism uses (the accountant's numerics give up): the entry's fault.
        throw new CorruptLedgerException(index, "data use by '" + id + "' records mechanism parameters that cannot"
            + " be accounted (q=" + q + ", z=" + z + ", steps=" + u.getSteps() + "): " + e.getMessage());
      }
    } else {
      throw new CorruptLedgerException(index, "data use by '" + id + "' has no privacy mode");
    }
    if (!close(u.getRoundEpsilon(), roundEps)) {
      throw new CorruptLedgerException(index, "round ε of '" + id + "' is recorded as " + u.getRoundEpsilon()
          + " but recomputes to " + roundEps);
    }
    if (!close(u.getCumulativeEpsilon(), cumulative)) {
      throw new CorruptLedgerException(index, "cumulative ε of '" + id + "' is recorded as "
          + u.getCumulativeEpsilon() + " but recomputes to " + cumulative);
    }
    if (cumulative > declared.getBudgetEpsilon() * (1 + 1e-12)) {
      throw new CorruptLedgerException(index, "site '" + id + "' has spent ε=" + cumulative
          + ", more than its declared budget ε=" + declared.getBudgetEpsilon());
    }
    if (u.getPrivacyMode() != PrivacyMode.PRIVACY_MODE_NONE && delta > declared.getBudgetDelta()) {
      throw new CorruptLedgerException(index, "site '" + id + "' uses δ=" + delta + ", more than its declared δ="
          + declared.getBudgetDelta());
    }
    site.spent = cumulative;
    site.delta = delta;
  }

  /**
   * Whether an ε recorded in a data use equals the one recomputed from its mechanism, as the audit
   * judges it (within {@link #EPSILON_TOLERANCE}, relative above 1; infinities exactly): for a writer
   * that must not record what the audit would reject.
   */
  public static boolean epsilonAsRecomputed(double recorded, double recomputed) {
    return close(recorded, recomputed);
  }

  static boolean close(double recorded, double recomputed) {
    if (Double.isInfinite(recomputed) || Double.isInfinite(recorded)) {
      return recorded == recomputed;
    }
    return Math.abs(recorded - recomputed) <= EPSILON_TOLERANCE * Math.max(1, Math.abs(recomputed));
  }
}
