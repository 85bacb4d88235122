package org.fedtel.benchmarks.telemetry;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedtel.telemetry.model.Adam;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Training throughput of the default autoencoder (input 200, hidden 64-16-64, ReLU; 27,992
 * parameters): one mini-batch step of 64 examples, reported per example (ops/s = examples/s).
 *
 * <ul>
 *   <li>{@code plain}: batch gradient + Adam step (non-private training), the baseline;</li>
 *   <li>{@code perExample}: per-example gradients, {@code rows} examples at a time, into a
 *       {@code rows x P} matrix, each block summed into the batch gradient, then the mean and an Adam
 *       step. This is a DP-SGD step without the clipping and noise the privacy module adds. With
 *       {@code rows} = 64 the whole 64 x 27,992 matrix (14 MB) is materialized; with fewer rows
 *       the block stays in cache.</li>
 *   <li>{@code clippedSum}: {@link Autoencoder#clippedGradientSum} with clip norm 1 (per-example
 *       norms without forming per-example vectors), then the mean and an Adam step: the same DP-SGD
 *       step fused.</li>
 * </ul>
 * The target: per-example within 1.5x of plain.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AutoencoderTrainingBenchmark {
  static final int BATCH = 64;

  Autoencoder model;
  Adam adam;
  double[][] batch;
  double[] gradient;

  /** The per-example block; a separate state so that only perExample is run per block size. */
  @State(Scope.Thread)
  public static class Block {
    @Param({"1", "8", "64"})
    int rows;
    double[][] perExample;

    @Setup(Level.Trial)
    public void setUp() {
      perExample = new double[rows][AutoencoderConfig.defaults(200).parameterCount()];
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    SplittableRandom r = new SplittableRandom(1);
    model = Autoencoder.initialize(AutoencoderConfig.defaults(200), r);
    adam = new Adam(1e-3);
    batch = new double[BATCH][200];
    for (double[] row : batch) {
      for (int i = 0; i < row.length; i++) {
        row[i] = r.nextDouble() * 2 - 1;
      }
    }
    gradient = new double[model.parameterCount()];
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public double plain() {
    double loss = model.gradient(batch, 0, BATCH, gradient);
    model.step(adam, gradient);
    return loss;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public double perExample(Block block) {
    int rows = block.rows;
    double[][] perExample = block.perExample;
    int p = gradient.length;
    Arrays.fill(gradient, 0);
    double loss = 0;
    for (int from = 0; from < BATCH; from += rows) {
      int count = Math.min(rows, BATCH - from);
      loss += model.perExampleGradients(batch, from, count, perExample) * count;
      for (int e = 0; e < count; e++) {
        double[] row = perExample[e];
        for (int k = 0; k < p; k++) {
          gradient[k] += row[k];
        }
      }
    }
    double inv = 1.0 / BATCH;
    for (int k = 0; k < p; k++) {
      gradient[k] *= inv;
    }
    model.step(adam, gradient);
    return loss * inv;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public double clippedSum() {
    double loss = model.clippedGradientSum(batch, 0, BATCH, 1.0, gradient, null);
    double inv = 1.0 / BATCH;
    for (int k = 0; k < gradient.length; k++) {
      gradient[k] *= inv;
    }
    model.step(adam, gradient);
    return loss;
  }
}
