package org.fedtel.benchmarks.ledger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.SyntheticLedger;
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
 * What reopening the writer costs for the 1 000 000-entry ledger of {@link LedgerVerifyBenchmark}
 * (what the coordinator does at start): the scan of every record and its checksum, the chain and
 * index checks, and the comparison of every synced hash of {@code hashes.bin} with the hash
 * recomputed from the entries — beside the raw SHA-256 of the entries file in the same run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class LedgerOpenBenchmark {
  @Param("1000000")
  public int entries;

  private Path dir;

  @Setup(Level.Trial)
  public void setup() throws Exception {
    dir = Files.createTempDirectory("fedtel-ledger-open");
    LedgerVerifyBenchmark.writeLedger(dir, entries);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    BenchmarkFiles.deleteTree(dir);
  }

  /** Opens the writer on the ledger (nothing to repair) and closes it again. */
  @Benchmark
  public long openWriter() throws Exception {
    try (Ledger l = Ledger.open(dir, SyntheticLedger.genesis(1), SyntheticLedger.coordinatorKey(1),
        Clock.systemUTC())) {
      if (l.recovery().hashesRebuilt() != 0) {
        throw new IllegalStateException("the benchmark ledger's hashes were rebuilt: "
            + l.recovery().hashesRebuilt());
      }
      return l.size();
    }
  }

  @Benchmark
  public byte[] rawSha256OfTheFile() throws Exception {
    return LedgerVerifyBenchmark.rawSha256(dir.resolve("entries.log"));
  }
}
