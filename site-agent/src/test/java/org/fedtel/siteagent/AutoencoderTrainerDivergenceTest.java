package org.fedtel.siteagent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.fedtel.protocol.RoundStatistics;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.TrainConfig;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.junit.jupiter.api.Test;

/**
 * A site whose local training diverges (as from a global model that site-level DP noise has wrecked)
 * still sends a finite update — the one up to its last finite step — and its loss as at the round's
 * bound, instead of failing and so aborting the round.
 */
class AutoencoderTrainerDivergenceTest {
  private static final AutoencoderConfig CONFIG = new AutoencoderConfig(6, new int[] {4, 3, 4}, Activation.TANH,
      Activation.IDENTITY);

  private static double[][] data(int n) {
    SplittableRandom r = new SplittableRandom(5);
    double[][] x = new double[n][6];
    for (double[] row : x) {
      for (int j = 0; j < row.length; j++) {
        row[j] = r.nextGaussian() * (1 + j);
      }
    }
    return x;
  }

  private static TrainConfig train(double lr) {
    return TrainConfig.newBuilder().setLocalEpochs(10).setBatchSize(16).setLearningRate(lr).setSeed(1).build();
  }

  private static final PrivacyParams DISTRIBUTED = PrivacyParams.newBuilder()
      .setMode(PrivacyMode.PRIVACY_MODE_DISTRIBUTED).setClipNorm(1).setNoiseMultiplier(1).build();

  @Test
  void aDivergingSiteSendsAFiniteUpdateAndItsLossAtTheBound() {
    double[] global = Autoencoder.initialize(CONFIG, new SplittableRandom(2)).parameters();
    AutoencoderTrainer t = new AutoencoderTrainer(CONFIG, data(100), new SplittableRandom(3));
    LocalTrainer.LocalUpdate update = t.train(1, global, train(1e6), DISTRIBUTED);
    assertTrue(Arrays.stream(update.delta()).allMatch(Double::isFinite));
    assertTrue(Arrays.stream(update.delta()).anyMatch(d -> d != 0), "the steps before the divergence are kept");
    assertEquals(Double.MAX_VALUE, update.trainLoss());
    double[] encoded = new double[5];
    RoundStatistics.trainingOnly(update.trainLoss()).encode(4.0, encoded, 0);
    assertEquals(1.0, encoded[0], "encoded as the bound");
  }

  @Test
  void dpSgdLeavesOutTheExamplesAModelOverflowsOnAndKeepsItsSteps() {
    double[] global = Autoencoder.initialize(CONFIG, new SplittableRandom(2)).parameters();
    double[][] data = data(100);
    Arrays.fill(data[7], 1e300); // one window the model overflows on
    AutoencoderTrainer t = new AutoencoderTrainer(CONFIG, data, new SplittableRandom(3));
    PrivacyParams local = PrivacyParams.newBuilder().setMode(PrivacyMode.PRIVACY_MODE_LOCAL).setClipNorm(1)
        .setNoiseMultiplier(1).build();
    TrainConfig config = TrainConfig.newBuilder().setLocalEpochs(2).setBatchSize(16).setLearningRate(0.05).setSeed(1)
        .build();
    LocalTrainer.LocalUpdate update = t.train(1, global, config, local);
    assertTrue(Arrays.stream(update.delta()).allMatch(Double::isFinite));
    assertEquals(Double.MAX_VALUE, update.trainLoss());
    assertEquals(DpSgdSchedule.of(100, 16, 2).steps(), t.lastSteps(), "every scheduled step runs");
  }

  @Test
  void anOrdinarySiteReportsItsLastEpochsLoss() {
    double[] global = Autoencoder.initialize(CONFIG, new SplittableRandom(2)).parameters();
    AutoencoderTrainer t = new AutoencoderTrainer(CONFIG, data(100), new SplittableRandom(3));
    LocalTrainer.LocalUpdate update = t.train(1, global, train(0.01), DISTRIBUTED);
    assertTrue(update.trainLoss() > 0 && update.trainLoss() < 100, "loss " + update.trainLoss());
  }
}
