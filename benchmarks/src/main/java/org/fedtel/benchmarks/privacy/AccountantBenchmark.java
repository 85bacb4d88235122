package org.fedtel.benchmarks.privacy;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.fedtel.privacy.accounting.PldAccountant;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * Accountant time for T = 10 000 steps of the sampled Gaussian (q = 0.01, z = 1.1, δ = 1e-5) over
 * 100 RDP orders: composed at once, composed step by step (as a site does during training), and
 * by the PLD accountant.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class AccountantBenchmark {
  private static final double[] ORDERS = Arrays.copyOf(RdpAccountant.defaultOrders(), 100);
  private static final long T = 10_000;

  @Benchmark
  public double rdpComposedAtOnce() {
    return new RdpAccountant(ORDERS).composeSampledGaussian(0.01, 1.1, T).epsilon(1e-5);
  }

  @Benchmark
  public double rdpStepByStep() {
    RdpAccountant acc = new RdpAccountant(ORDERS);
    for (long t = 0; t < T; t++) {
      acc.composeSampledGaussian(0.01, 1.1, 1);
    }
    return acc.epsilon(1e-5);
  }

  @Benchmark
  public double pld() {
    return new PldAccountant().composeSampledGaussian(0.01, 1.1, T).epsilon(1e-5);
  }
}
