package org.fedtel.benchmarks.ledger;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 */
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

  @Setup(Level.Trial)
  public void setup() throws Exception {
    dir = Files.createTempDirectory("fedtel-ledger-verify");
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
    stored = new ArrayList<>();
    LedgerEntries.read(dir, (i, e, b) -> stored.add(b));
    site = SyntheticLedger.siteKey(1, 0);
    body = new byte[120];
    siteSig = DataUseSignatures.signBySite(site, body);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
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
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(dir.resolve("entries.log"))) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return md.digest();
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
