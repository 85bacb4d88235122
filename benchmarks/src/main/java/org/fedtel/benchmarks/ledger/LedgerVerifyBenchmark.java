package org.fedtel.benchmarks.ledger;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.fedtel.crypto.SigningKey;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.DataUseSignatures;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.LedgerAudit;
import org.fedtel.ledger.LedgerEntries;
import org.fedtel.ledger.SyntheticLedger;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.RoundAborted;
import org.fedtel.ledger.v1.RoundStarted;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code fedtel ledger verify}'s audit of a ledger of {@code entries} entries (rounds started and
 * aborted, a signed checkpoint every 10 000 entries) beside raw SHA-256 over the same bytes in the
 * same run: one stream over the entries file on one thread (the baseline the target is stated
 * against), and one digest per stored entry (what the leaf hashes alone cost). The audit runs both
 * as the command does (hashing on every core) and on one thread. Data-use entries additionally cost two Ed25519 verifications each, measured
 * separately by {@link #dataUseSignatures} so that the figure can be scaled to any mix.
 *
 * <p>Average time over timed iterations (not single shots): every benchmark, baseline included,
 * gets the same warm-up time and is measured over as many calls as fit in an iteration, so JIT
 * warm-up is the same for all and {@code -w}/{@code -r} mean what they say (a single shot ignores
 * {@code -r}, and three warm-up shots of a 0.1 s baseline are far less warm-up than three of a
 * 0.6 s audit). The file is read from the page cache by every benchmark alike (it was just written).
 *
 * <p>{@link #hashingFloorOneThread} is the part of the audit that no implementation can skip, on one
 * thread and with nothing else: read the file, walk the records, check each record's CRC32C, and
 * compute every RFC 9162 leaf hash and interior node hash (n − 1 of them) up to the root. It parses
 * no entry and checks nothing else, so it bounds what the full audit can reach: this time over two
 * cores, against the raw baseline, is the best ratio any parallel audit could show here.
 * {@link #hashingFloorTwoThreads} runs the same work as two halves on two threads at once, which
 * shows how far from that halving two busy cores of this machine are. These two floors use
 * {@code MessageDigest}, one digest per leaf and per node.
 *
 * <p>The forks run with {@code --add-modules jdk.incubator.vector}, so the audit hashes 32 leaves or
 * nodes at a time in vector lanes where the machine has 512-bit vectors (docs/LEDGER.md: a warmed
 * JVM's figure; {@code ./fedtel ledger verify} leaves the module out unless asked, as a one-shot
 * audit would spend more on compiling the lanes than they save); {@code -jvmArgsAppend
 * -Dfedtel.ledger.lanes=false} measures the audit with one {@code MessageDigest} call per digest.
 */
@Fork(jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class LedgerVerifyBenchmark {
  @Param("1000000")
  public int entries;

  private Path dir;
  private List<byte[]> stored;
  private byte[] body;
  private byte[] siteSig;
  private SigningKey site;
  /** File offset of the middle record, and the two threads of {@link #hashingFloorTwoThreads}. */
  private long middle;
  private ExecutorService two;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    dir = Files.createTempDirectory("fedtel-ledger-verify");
    writeLedger(dir, entries);
    stored = new ArrayList<>();
    LedgerEntries.read(dir, (i, e, b) -> stored.add(b));
    middle = 8;
    for (int i = 0; i < stored.size() / 2; i++) {
      middle += 8 + stored.get(i).length;
    }
    two = Executors.newFixedThreadPool(2);
    byte[] expected = LedgerAudit.verify(dir).root();
    if (!Arrays.equals(hashingFloorOneThread(), expected)) {
      throw new IllegalStateException("the hashing floor's root differs from the audit's");
    }
    site = SyntheticLedger.siteKey(1, 0);
    body = new byte[120];
    siteSig = DataUseSignatures.signBySite(site, body);
  }

  /**
   * Writes the benchmark's ledger into {@code dir}: genesis, then rounds started (no sampled site)
   * and aborted up to {@code entries} entries, appended in batches of 10 000 with a signed checkpoint
   * after each.
   */
  static void writeLedger(Path dir, int entries) throws Exception {
    try (Ledger l = Ledger.open(dir, SyntheticLedger.genesis(1), SyntheticLedger.coordinatorKey(1),
        Clock.systemUTC())) {
      long round = 0;
      List<Entry.Builder> batch = new ArrayList<>();
      while (l.size() < entries) {
        batch.clear();
        for (int i = 0; i < 5000 && l.size() + batch.size() + 2 <= entries; i++) {
          round++;
          batch.add(Entry.newBuilder().setRoundStarted(RoundStarted.newBuilder().setRound(round)
              .setConfigSha256(ByteString.copyFrom(new byte[32]))));
          batch.add(Entry.newBuilder().setRoundAborted(RoundAborted.newBuilder().setRound(round)
              .setReason("fewer survivors than the secure-aggregation threshold")));
        }
        if (batch.isEmpty()) {
          break;
        }
        l.appendAll(batch);
        l.signCheckpoint();
      }
    }
  }

  /**
   * {@code dir} when it exists (a ledger written earlier); otherwise the 1 000 000-entry ledger of
   * this benchmark is written there first, for the plain programs beside it ({@link AuditMemory},
   * {@link VerifyLoop}).
   */
  static Path existingOrWritten(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      System.out.println("writing the 1 000 000-entry benchmark ledger into " + dir + " ...");
      Files.createDirectories(dir);
      writeLedger(dir, 1_000_000);
    }
    return dir;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    two.shutdownNow();
    BenchmarkFiles.deleteTree(dir);
  }

  /** What {@code fedtel ledger verify} runs: hashing on every core ({@link LedgerAudit#defaultThreads()}). */
  @Benchmark
  public AuditReport verify() throws Exception {
    return LedgerAudit.verify(dir);
  }

  /** The same audit with everything on the calling thread (threads = 0), for the parallel gain. */
  @Benchmark
  public AuditReport verifyOneThread() throws Exception {
    return LedgerAudit.verify(dir, List.of(), (done, total) -> { }, 0);
  }

  @Benchmark
  public byte[] rawSha256OfTheFile() throws Exception {
    return rawSha256(dir.resolve("entries.log"));
  }

  /** SHA-256 of {@code file} as one stream, read 1 MiB at a time: the baseline. */
  static byte[] rawSha256(Path file) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return md.digest();
  }

  /** See the class comment: read, walk, CRC32C, leaf and node hashes, on one thread; returns the root. */
  @Benchmark
  public byte[] hashingFloorOneThread() throws Exception {
    byte[][] subtrees = floor(dir.resolve("entries.log"), 8, Long.MAX_VALUE); // after the file's magic
    // Fold the remaining subtrees right to left (RFC 9162 root of a size that is not a power of two).
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] node = new byte[65];
    node[0] = 1;
    byte[] root = subtrees[subtrees.length - 1].clone();
    for (int i = subtrees.length - 2; i >= 0; i--) {
      System.arraycopy(subtrees[i], 0, node, 1, 32);
      System.arraycopy(root, 0, node, 33, 32);
      md.update(node, 0, 65);
      root = md.digest();
    }
    return root;
  }

  /**
   * The same work split over two threads at once, each taking half of the records (the record in the
   * middle found in setup): so {@code hashingFloorTwoThreads / (hashingFloorOneThread / 2)} is what
   * running two busy threads costs on this machine, beside any audit code. The second half's
   * subtrees start at an unaligned index, so the two results are not joined into the RFC root; the
   * hashing is the same up to O(log n) node hashes.
   */
  @Benchmark
  public int hashingFloorTwoThreads() throws Exception {
    Path file = dir.resolve("entries.log");
    Future<byte[][]> first = two.submit(() -> floor(file, 8, middle));
    Future<byte[][]> second = two.submit(() -> floor(file, middle, Long.MAX_VALUE));
    return first.get().length + second.get().length;
  }

  /**
   * Reads the records starting in [from, to) of the entries file (from at a record), checks their
   * CRC32C, hashes their leaves and merges equal subtrees as they complete; returns the subtrees
   * left (a compact range, largest first).
   */
  private static byte[][] floor(Path file, long from, long to) throws IOException, DigestException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    CRC32C crc = new CRC32C();
    byte[] buf = new byte[1 << 20];
    // Compact range: the roots of the perfect subtrees so far, largest first (sizes are powers of two).
    byte[][] stack = new byte[64][32];
    long[] sizes = new long[64];
    int depth = 0;
    byte[] node = new byte[65];
    node[0] = 1;
    try (FileChannel ch = FileChannel.open(file)) {
      long pos = from;
      long end = Math.min(to, ch.size());
      int limit = 0;
      int at = 0;
      while (true) {
        // Move the unread tail to the front and read more.
        if (at == 0 && limit == buf.length) {
          throw new IllegalStateException("a record larger than the " + buf.length + "-byte buffer");
        }
        System.arraycopy(buf, at, buf, 0, limit - at);
        limit -= at;
        at = 0;
        int want = (int) Math.min(buf.length - limit, end - pos);
        int r = want <= 0 ? -1 : ch.read(ByteBuffer.wrap(buf, limit, want), pos);
        if (r > 0) {
          pos += r;
          limit += r;
        }
        while (at + 4 <= limit) {
          int len = ((buf[at] & 0xff) << 24) | ((buf[at + 1] & 0xff) << 16) | ((buf[at + 2] & 0xff) << 8) | (buf[at + 3] & 0xff);
          if (at + 8 + len > limit) {
            break;
          }
          crc.reset();
          crc.update(buf, at, len + 4);
          int stored = ((buf[at + 4 + len] & 0xff) << 24) | ((buf[at + 5 + len] & 0xff) << 16)
              | ((buf[at + 6 + len] & 0xff) << 8) | (buf[at + 7 + len] & 0xff);
          if (stored != (int) crc.getValue()) {
            throw new IllegalStateException("checksum mismatch at file offset " + (pos - limit + at));
          }
          buf[at + 3] = 0; // the leaf prefix, as the audit writes it
          md.update(buf, at + 3, len + 1);
          md.digest(stack[depth], 0, 32);
          sizes[depth++] = 1;
          while (depth >= 2 && sizes[depth - 2] == sizes[depth - 1]) {
            System.arraycopy(stack[depth - 2], 0, node, 1, 32);
            System.arraycopy(stack[depth - 1], 0, node, 33, 32);
            md.update(node, 0, 65);
            md.digest(stack[depth - 2], 0, 32);
            sizes[depth - 2] *= 2;
            depth--;
          }
          at += 8 + len;
        }
        if (r <= 0) {
          break;
        }
      }
      if (at != limit) {
        throw new IllegalStateException((limit - at) + " bytes of an incomplete record before offset " + end);
      }
    }
    return Arrays.copyOf(stack, depth);
  }

  @Benchmark
  public int rawSha256PerEntry() throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    int x = 0;
    for (byte[] e : stored) {
      x += md.digest(e)[0];
    }
    return x;
  }

  /** What one data-use entry adds: the site's and the coordinator's Ed25519 signatures (here 2× site). */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public void dataUseSignatures() throws Exception {
    DataUseSignatures.verifySite(site.verifyingKey(), body, siteSig);
    DataUseSignatures.verifySite(site.verifyingKey(), body, siteSig);
  }
}
