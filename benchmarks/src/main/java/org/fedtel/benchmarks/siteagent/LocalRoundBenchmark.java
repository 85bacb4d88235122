package org.fedtel.benchmarks.siteagent;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.TrainConfig;
import org.fedtel.siteagent.AutoencoderTrainer;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One site's local round with {@link AutoencoderTrainer} on the default autoencoder (input 200,
 * 27,992 parameters), 640 windows, one epoch of batch 64 (10 steps): privacy mode none (plain
 * mini-batch SGD, the baseline) against mode local (record-level DP-SGD: Poisson sampling, fused
 * clipped sum, the privacy module's secure Gaussian noise on every parameter each step).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LocalRoundBenchmark {
  @Param({"none", "local"})
  String mode;

  AutoencoderTrainer trainer;
  double[] global;
  TrainConfig train;
  PrivacyParams privacy;

  @Setup(Level.Trial)
  public void setUp() {
    AutoencoderConfig config = AutoencoderConfig.defaults(200);
    SplittableRandom r = new SplittableRandom(1);
    double[][] x = new double[640][200];
    for (double[] row : x) {
      for (int j = 0; j < row.length; j++) {
        row[j] = r.nextGaussian();
      }
    }
    trainer = new AutoencoderTrainer(config, x, new SplittableRandom(2));
    global = Autoencoder.initialize(config, new SplittableRandom(3)).parameters();
    train = TrainConfig.newBuilder().setLocalEpochs(1).setBatchSize(64).setLearningRate(0.01).setSeed(4).build();
    privacy = mode.equals("local")
        ? PrivacyParams.newBuilder().setMode(PrivacyMode.PRIVACY_MODE_LOCAL).setClipNorm(1).setNoiseMultiplier(1).build()
        : PrivacyParams.newBuilder().setMode(PrivacyMode.PRIVACY_MODE_NONE).build();
  }

  @Benchmark
  public double[] round() {
    return trainer.train(1, global, train, privacy).delta();
  }
}
