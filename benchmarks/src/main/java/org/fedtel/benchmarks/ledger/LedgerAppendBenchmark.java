package org.fedtel.benchmarks.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.SyntheticLedger;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.RoundAborted;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Durable appends per second: one appender (one fsync each), eight concurrent appenders (group
 * commit shares fsyncs), against the baseline of a raw write + fsync of an equally sized record.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
public class LedgerAppendBenchmark {
  private Path dir;
  private Ledger ledger;
  private FileChannel raw;
  private final AtomicLong round = new AtomicLong();
  private byte[] record;
  private long rawPos;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    dir = Files.createTempDirectory("fedtel-ledger-append");
    ledger = Ledger.open(dir.resolve("ledger"), SyntheticLedger.genesis(1), SyntheticLedger.coordinatorKey(1),
        Clock.systemUTC());
    raw = FileChannel.open(dir.resolve("raw.bin"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    record = entry(0).build().toByteArray();
  }

  private static Entry.Builder entry(long r) {
    return Entry.newBuilder().setRoundAborted(RoundAborted.newBuilder().setRound(r)
        .setReason("fewer survivors than the secure-aggregation threshold (3 of 8), round abandoned"));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    ledger.close();
    raw.close();
    BenchmarkFiles.deleteTree(dir);
  }

  @Benchmark
  @Threads(1)
  public long append1Thread() throws IOException {
    return ledger.append(entry(round.incrementAndGet()));
  }

  @Benchmark
  @Threads(8)
  public long append8Threads() throws IOException {
    return ledger.append(entry(round.incrementAndGet()));
  }

  /** Baseline: the same number of bytes written and fsynced directly, one record per fsync. */
  @Benchmark
  @Threads(1)
  public long rawWriteFsync() throws IOException {
    synchronized (this) {
      rawPos += raw.write(ByteBuffer.wrap(record), rawPos);
      raw.force(false);
      return rawPos;
    }
  }
}
