package org.fedtel.benchmarks.crypto;

import java.util.concurrent.TimeUnit;
import org.fedtel.crypto.secagg.AggregateResult;
import org.fedtel.crypto.secagg.SecAggException;
import org.fedtel.crypto.secagg.SecAggParams;
import org.fedtel.crypto.secagg.UnmaskShares;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Client and server time of one SecAgg round with n = 100 sites (complete graph, t = 51) and
 * 100 000-element vectors mod 2^32, at 0 % and 10 % dropout (sites dropping after sharing, so the
 * server must rebuild their mask keys and remove their pairwise masks).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SecAggRoundBenchmark {
  @Param({"0", "10"})
  public int dropoutPercent;

  private RecordedRound round;

  @Setup
  public void record() throws SecAggException {
    SecAggParams p = SecAggParams.recommended(1, RecordedRound.sites(100), 32, 100_000, new byte[32]);
    round = new RecordedRound(p, RecordedRound.drops(100, dropoutPercent));
  }

  /** Baseline: the plain sum of the surviving sites' vectors, what a server without masks does. */
  @Benchmark
  public long[] plainSum() {
    long[] sum = new long[round.params.vectorLength()];
    for (String id : round.masked.keySet()) {
      long[] x = round.inputs[round.params.participants().indexOf(id)];
      for (int i = 0; i < sum.length; i++) {
        sum[i] += x[i];
      }
    }
    return sum;
  }

  /** Everything one site computes in a round: keys, 99 encrypted shares, masking, signing U3, checking the survivors' signatures, unmask answer. */
  @Benchmark
  public UnmaskShares client() throws SecAggException {
    return round.replayClient("site-0");
  }

  /** Everything the server computes: checks, routing, summation, the survivors' signatures, reconstruction, unmasking. */
  @Benchmark
  public AggregateResult server() throws SecAggException {
    return round.replayServer();
  }
}
