package org.fedtel.benchmarks.crypto;

import java.util.concurrent.TimeUnit;
import org.fedtel.crypto.secagg.AggregateResult;
import org.fedtel.crypto.secagg.SecAggException;
import org.fedtel.crypto.secagg.SecAggParams;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Server time of SecAgg+ (k = 2·⌈2·log2 n⌉ neighbours, t a majority of k + 1) against the complete
 * graph (t = ⌊n/2⌋ + 1), 10 000-element vectors, 10 % of sites dropping after sharing.
 * {@code graph} is "complete" or "sparse".
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SecAggGraphBenchmark {
  @Param({"200", "1000"})
  public int sites;

  @Param({"complete", "sparse"})
  public String graph;

  private RecordedRound round;

  @Setup
  public void record() throws SecAggException {
    int k = graph.equals("sparse") ? 2 * (int) Math.ceil(2 * Math.log(sites) / Math.log(2)) : 0;
    int group = k == 0 ? sites : k + 1;
    SecAggParams p = new SecAggParams(1, RecordedRound.sites(sites), group / 2 + 1, 32, k,
        new byte[32], 10_000);
    round = new RecordedRound(p, RecordedRound.drops(sites, 10));
  }

  @Benchmark
  public AggregateResult server() throws SecAggException {
    return round.replayServer();
  }
}
