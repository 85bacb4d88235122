package org.fedtel.benchmarks.privacy;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedtel.privacy.noise.DiscreteGaussian;
import org.fedtel.privacy.noise.GaussianNoise;
import org.fedtel.privacy.noise.LaplaceNoise;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Samples per second of each privacy sampler, against the insecure baseline
 * {@code SplittableRandom.nextGaussian()} measured in the same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SamplerBenchmark {
  private SplittableRandom random;
  private GaussianNoise gaussian;
  private LaplaceNoise laplace;
  private DiscreteGaussian discreteGaussian1;
  private DiscreteGaussian discreteGaussian1000;

  @Setup
  public void setUp() {
    random = new SplittableRandom(1);
    gaussian = new GaussianNoise(new SplittableRandom(2));
    laplace = new LaplaceNoise(new SplittableRandom(3));
    discreteGaussian1 = new DiscreteGaussian(new SplittableRandom(4), 1.0);
    discreteGaussian1000 = new DiscreteGaussian(new SplittableRandom(5), 1000.0);
  }

  @Benchmark
  public double baselineNextGaussian() {
    return random.nextGaussian();
  }

  @Benchmark
  public double secureGaussian() {
    return gaussian.addNoise(0.0, 1.0);
  }

  @Benchmark
  public double secureLaplace() {
    return laplace.addNoise(0.0, 1.0, 1.0);
  }

  @Benchmark
  public long discreteLaplace() {
    return laplace.addNoise(0L, 1L, 1.0);
  }

  @Benchmark
  public long discreteGaussianSigma1() {
    return discreteGaussian1.sample();
  }

  @Benchmark
  public long discreteGaussianSigma1000() {
    return discreteGaussian1000.sample();
  }
}
