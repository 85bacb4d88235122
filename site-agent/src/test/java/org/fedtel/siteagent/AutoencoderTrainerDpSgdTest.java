package org.fedtel.siteagent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.fedtel.privacy.training.DpSgd;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.TrainConfig;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.junit.jupiter.api.Test;

class AutoencoderTrainerDpSgdTest {
  private static final AutoencoderConfig CONFIG = new AutoencoderConfig(6, new int[] {4, 3, 4}, Activation.RELU,
      Activation.IDENTITY);

  private static double[][] data(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] x = new double[n][6];
    for (double[] row : x) {
      for (int j = 0; j < row.length; j++) {
        row[j] = r.nextGaussian() * (1 + j);
      }
    }
    return x;
  }

  private static Autoencoder model(long seed) {
    return Autoencoder.initialize(CONFIG, new SplittableRandom(seed));
  }

  private static PrivacyParams local(double clip, double z) {
    return PrivacyParams.newBuilder().setMode(PrivacyMode.PRIVACY_MODE_LOCAL).setClipNorm(clip).setNoiseMultiplier(z).build();
  }

  private static TrainConfig train(int epochs, int batch, double lr) {
    return TrainConfig.newBuilder().setLocalEpochs(epochs).setBatchSize(batch).setLearningRate(lr).setSeed(1).build();
  }

  /** Slow reference: per-example gradients, clipped by hand, summed, divided by q·n. */
  private static double[] referenceClippedMean(Autoencoder m, double[][] batch, double clip, double expected) {
    int d = m.parameterCount();
    double[][] g = new double[batch.length][d];
    m.perExampleGradients(batch, 0, batch.length, g);
    double[] sum = new double[d];
    for (double[] row : g) {
      double s = 0;
      for (double v : row) {
        s += v * v;
      }
      double f = Math.min(1, clip / Math.sqrt(s));
      for (int j = 0; j < d; j++) {
        sum[j] += f * row[j];
      }
    }
    for (int j = 0; j < d; j++) {
      sum[j] /= expected;
    }
    return sum;
  }

  @Test
  void privatisedGradientWithTinyNoiseIsTheClippedSumOverTheExpectedBatch() {
    Autoencoder m = model(3);
    double[][] batch = data(7, 5);
    double[][] g = new double[batch.length][m.parameterCount()];
    m.perExampleGradients(batch, 0, batch.length, g);
    double[] norms = Arrays.stream(g).mapToDouble(row -> Math.sqrt(Arrays.stream(row).map(v -> v * v).sum())).sorted().toArray();
    double clip = (norms[2] + norms[3]) / 2;
    int clipped = 0;
    for (double norm : norms) {
      clipped += norm > clip ? 1 : 0;
    }
    assertTrue(clipped >= 2 && clipped < batch.length, "the case exercises both clipped and unclipped rows: " + clipped);
    double expected = 9.5; // q·n, deliberately not the realised 7
    double[] out = new double[m.parameterCount()];
    double[] noise = new double[m.parameterCount()];
    AutoencoderTrainer.privatisedGradient(m, batch, batch.length, new DpSgd(clip, 1e-12, new SplittableRandom(1)), expected,
        out, noise);
    assertArrayEquals(referenceClippedMean(m, batch, clip, expected), out, 1e-11);
  }

  @Test
  void privatisedGradientEqualsDpSgdOnMaterialisedPerExampleGradientsWithTheSameNoise() {
    Autoencoder m = model(4);
    double[][] batch = data(5, 6);
    double clip = 0.7;
    double z = 1.3;
    double expected = 4.0;
    int d = m.parameterCount();
    double[][] g = new double[batch.length][d];
    m.perExampleGradients(batch, 0, batch.length, g);
    double[] reference = new double[d];
    new DpSgd(clip, z, new SplittableRandom(42)).noisyMean(g, batch.length, expected, reference);
    double[] out = new double[d];
    AutoencoderTrainer.privatisedGradient(m, batch, batch.length, new DpSgd(clip, z, new SplittableRandom(42)), expected,
        out, new double[d]);
    // Same generator state ⇒ the same noise draws; only the summation order of the clipped part differs.
    assertArrayEquals(reference, out, 1e-12);
    double[] other = new double[d];
    AutoencoderTrainer.privatisedGradient(m, batch, batch.length, new DpSgd(clip, z, new SplittableRandom(43)), expected,
        other, new double[d]);
    assertFalse(Arrays.equals(reference, other), "control: another noise seed gives another gradient");
    assertTrue(Math.abs(reference[0] - other[0]) > 1e-3, "noise of std zC/(qn) is visible");
  }

  @Test
  void wholeRoundMatchesASlowReferenceDrivenByTheSameGenerator() {
    // The reference replays the round with materialised per-example gradients, DpSgd.noisyMean over the
    // test's own q·n, and hand-written SGD; sharing one seeded generator between its Poisson sampler and
    // its DpSgd reproduces the trainer's draws in order, so the updates must agree to rounding.
    int n = 45;
    int batch = 6;
    int epochs = 2;
    double clip = 0.8;
    double z = 0.9;
    double lr = 0.07;
    double[][] x = data(n, 12);
    double[] global = model(8).parameters();
    var update = new AutoencoderTrainer(CONFIG, x, new SplittableRandom(99))
        .train(3, global, train(epochs, batch, lr), local(clip, z));

    SplittableRandom shared = new SplittableRandom(99);
    AutoencoderTrainer sampler = new AutoencoderTrainer(CONFIG, x, shared);
    DpSgd dp = new DpSgd(clip, z, shared);
    Autoencoder m = Autoencoder.withParameters(CONFIG, global);
    int d = m.parameterCount();
    double q = (double) batch / n;
    long steps = epochs * 8L; // ⌈45/6⌉ = 8
    double[][] rows = new double[n][];
    double[][] g = new double[n][d];
    double[] step = new double[d];
    for (long t = 0; t < steps; t++) {
      int count = sampler.poissonSample(q, rows);
      if (count > 0) {
        m.perExampleGradients(rows, 0, count, g);
      }
      dp.noisyMean(g, count, q * n, step);
      double[] w = m.parameters();
      for (int j = 0; j < d; j++) {
        w[j] -= lr * step[j];
      }
      m.setParameters(w);
    }
    double[] want = m.parameters();
    for (int j = 0; j < d; j++) {
      want[j] -= global[j];
    }
    assertArrayEquals(want, update.delta(), 1e-10);
  }

  /** Sample std of the step's noise (empty Poisson batch) over many coordinates and steps. */
  private static double noiseStd(double clip, double z, double expected, long seed) {
    Autoencoder m = model(1);
    int d = m.parameterCount();
    double[] out = new double[d];
    double[] noise = new double[d];
    DpSgd dp = new DpSgd(clip, z, new SplittableRandom(seed));
    double s = 0;
    double ss = 0;
    long count = 0;
    while (count < 40_000) {
      AutoencoderTrainer.privatisedGradient(m, new double[0][], 0, dp, expected, out, noise);
      for (double v : out) {
        s += v;
        ss += v * v;
        count++;
      }
    }
    double mean = s / count;
    return Math.sqrt(ss / count - mean * mean);
  }

  @Test
  void stepNoiseHasStdZTimesClipOverExpectedBatch() {
    double clip = 2.0;
    double z = 1.1;
    int n = 300;
    int batch = 24;
    DpSgdSchedule s = DpSgdSchedule.of(n, batch, 1);
    double want = z * clip / s.expectedBatchSize();
    double got = noiseStd(clip, z, s.expectedBatchSize(), 7);
    // 40 000 draws: the sample std's relative standard error is ~0.35%; 2% is > 5 standard errors.
    assertEquals(want, got, 0.02 * want, "std " + got + " vs z·C/(q·n) = " + want);
    // Negative controls: the same check rejects normalising by n, by a batch one larger, or noise z·C/(q n)·1.05.
    assertTrue(Math.abs(z * clip / n - got) > 0.02 * want);
    assertTrue(Math.abs(z * clip / (batch + 1) - got) > 0.02 * want);
    assertTrue(Math.abs(1.05 * want - got) > 0.02 * want);
  }

  @Test
  void scheduleIsWhatTheEnginesCharge() {
    // Round.charge and SiteSession: q = min(1, batch/n), steps = epochs·⌈n/batch⌉.
    assertEquals(new DpSgdSchedule(16.0 / 100, 2 * 7, 16.0), DpSgdSchedule.of(100, 16, 2));
    assertEquals(new DpSgdSchedule(1.0, 3, 10.0), DpSgdSchedule.of(10, 32, 3));
    assertEquals(new DpSgdSchedule(0.5, 2, 32.0), DpSgdSchedule.of(64, 32, 1));
    assertThrows(IllegalArgumentException.class, () -> DpSgdSchedule.of(10, 0, 1));
  }

  @Test
  void trainingRunsTheChargedStepsWithPoissonBatchesOfExpectedSizeQn() {
    int n = 120;
    int batch = 10;
    int epochs = 3;
    AutoencoderTrainer t = new AutoencoderTrainer(CONFIG, data(n, 9), new SplittableRandom(17));
    double[] global = model(2).parameters();
    DpSgdSchedule s = DpSgdSchedule.of(n, batch, epochs);
    long rounds = 200;
    long sampled = 0;
    boolean varied = false;
    long previous = -1;
    for (int r = 0; r < rounds; r++) {
      t.train(r, global, train(epochs, batch, 0.01), local(1.0, 1.0));
      assertEquals(s.steps(), t.lastSteps());
      assertEquals(epochs * 12L, t.lastSteps());
      varied |= previous >= 0 && previous != t.lastSampled();
      previous = t.lastSampled();
      sampled += t.lastSampled();
    }
    // Total draws: Binomial(rounds·steps·n, q); mean rounds·steps·q·n, sd ~ sqrt(rounds·steps·n·q(1-q)) ≈ 80.
    double mean = (double) rounds * s.steps() * s.expectedBatchSize();
    double sd = Math.sqrt(rounds * s.steps() * n * s.samplingRate() * (1 - s.samplingRate()));
    assertEquals(mean, sampled, 5 * sd, "examples sampled " + sampled + " vs " + mean);
    assertTrue(varied, "Poisson sampling: the number of sampled examples varies between rounds");
  }

  @Test
  void poissonInclusionIsUniformAcrossExamples() {
    int n = 50;
    AutoencoderTrainer t = new AutoencoderTrainer(CONFIG, data(n, 1), new SplittableRandom(23));
    double q = 0.1;
    double[][] batch = new double[n][];
    double[][] rows = t.trainingRowsForTest();
    int[] hits = new int[n];
    int steps = 20_000;
    long sumSq = 0;
    long sum = 0;
    for (int s = 0; s < steps; s++) {
      int c = t.poissonSample(q, batch);
      sum += c;
      sumSq += (long) c * c;
      for (int i = 0; i < c; i++) {
        for (int k = 0; k < n; k++) {
          if (batch[i] == rows[k]) {
            hits[k]++;
          }
        }
      }
    }
    double expect = steps * q;
    double chi2 = 0;
    for (int h : hits) {
      chi2 += (h - expect) * (h - expect) / (expect * (1 - q));
    }
    // 50 nearly independent binomials: chi² with ~50 d.o.f.; 99.99th percentile ≈ 94.
    assertTrue(chi2 < 94, "inclusion frequencies uniform, chi2 = " + chi2);
    double mean = (double) sum / steps;
    double var = (double) sumSq / steps - mean * mean;
    assertEquals(n * q, mean, 0.05);
    // Binomial(n, q) batch sizes: variance n q (1-q) = 4.5; a fixed-size batch would give 0.
    assertEquals(n * q * (1 - q), var, 0.45);
  }

  @Test
  void sameSeedSameUpdateAndNoiseDependsOnTheInjectedGenerator() {
    double[][] x = data(40, 2);
    double[] global = model(5).parameters();
    var a = new AutoencoderTrainer(CONFIG, x, new SplittableRandom(1)).train(1, global, train(1, 8, 0.05), local(1, 1));
    var b = new AutoencoderTrainer(CONFIG, x, new SplittableRandom(1)).train(1, global, train(1, 8, 0.05), local(1, 1));
    var c = new AutoencoderTrainer(CONFIG, x, new SplittableRandom(2)).train(1, global, train(1, 8, 0.05), local(1, 1));
    assertArrayEquals(a.delta(), b.delta());
    assertFalse(Arrays.equals(a.delta(), c.delta()));
  }

  @Test
  void dpSgdWithNegligibleNoiseLowersTheLoss() {
    double[][] x = data(200, 4);
    Autoencoder m = model(6);
    double before = Arrays.stream(x).mapToDouble(m::loss).average().orElseThrow();
    double[] global = m.parameters();
    var u = new AutoencoderTrainer(CONFIG, x, new SplittableRandom(3)).train(1, global, train(5, 20, 0.05), local(5, 1e-6));
    double[] p = global.clone();
    double[] delta = u.delta();
    for (int i = 0; i < p.length; i++) {
      p[i] += delta[i];
    }
    Autoencoder trained = Autoencoder.withParameters(CONFIG, p);
    double after = Arrays.stream(x).mapToDouble(trained::loss).average().orElseThrow();
    assertTrue(after < 0.9 * before, "loss " + before + " -> " + after);
  }

  @Test
  void badParametersAreRefused() {
    AutoencoderTrainer t = new AutoencoderTrainer(CONFIG, data(10, 1), new SplittableRandom(1));
    double[] g = model(1).parameters();
    assertThrows(IllegalArgumentException.class, () -> t.train(1, g, train(1, 4, 0.1), local(0, 1)));
    assertThrows(IllegalArgumentException.class, () -> t.train(1, g, train(1, 4, 0.1), local(1, Double.NaN)));
    assertThrows(IllegalArgumentException.class, () -> t.train(1, g, train(1, 4, 0.1), local(Double.POSITIVE_INFINITY, 1)));
    assertThrows(IllegalArgumentException.class, () -> t.train(1, g, train(1, 0, 0.1), local(1, 1)));
    assertThrows(IllegalArgumentException.class, () -> t.train(1, g, train(1, 4, Double.NaN), local(1, 1)));
    assertThrows(NullPointerException.class, () -> new AutoencoderTrainer(CONFIG, data(3, 1), null));
  }
}
