package org.fedtel.telemetry.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TrainingTest {
  private static final AutoencoderConfig CONFIG = new AutoencoderConfig(6, new int[] {4, 2, 4}, Activation.TANH,
      Activation.IDENTITY);

  private static double[][] data(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] x = new double[n][CONFIG.inputSize()];
    for (double[] row : x) {
      for (int i = 0; i < row.length; i++) {
        row[i] = r.nextDouble() * 4 - 2;
      }
    }
    return x;
  }

  private static boolean allFinite(double[] v) {
    return Arrays.stream(v).allMatch(Double::isFinite);
  }

  @Test
  void anOrdinaryRunHasAFiniteLossForEveryEpochAndLowersIt() {
    Autoencoder m = Autoencoder.initialize(CONFIG, new SplittableRandom(1));
    double[] losses = Training.fit(m, data(200, 2), new TrainingConfig(5, 16, 0), new Sgd(0.05), null,
        new SplittableRandom(3));
    assertEquals(5, losses.length);
    assertTrue(allFinite(losses), Arrays.toString(losses));
    assertTrue(losses[4] < losses[0], Arrays.toString(losses));
  }

  @Test
  void aStepSizeThatDivergesStopsAtTheLastFiniteParameters() {
    Autoencoder m = Autoencoder.initialize(CONFIG, new SplittableRandom(1));
    // With this step size the weights grow by orders of magnitude a step until the identity output
    // layer overflows; without the stop, the next step would turn every parameter into NaN.
    double[] losses = Training.fit(m, data(200, 2), new TrainingConfig(20, 16, 0), new Sgd(1e6), null,
        new SplittableRandom(3));
    assertTrue(Double.isNaN(losses[losses.length - 1]), "training should have diverged: " + Arrays.toString(losses));
    assertTrue(allFinite(m.parameters()), "the model keeps its last finite parameters");
    int firstNaN = 0;
    while (!Double.isNaN(losses[firstNaN])) {
      firstNaN++;
    }
    for (int e = firstNaN; e < losses.length; e++) {
      assertTrue(Double.isNaN(losses[e]), "every epoch from the divergence on is NaN: " + Arrays.toString(losses));
    }
  }

  @Test
  void aModelThatOverflowsOnItsFirstBatchIsLeftUnchanged() {
    double[] huge = new double[Autoencoder.initialize(CONFIG, new SplittableRandom(1)).parameterCount()];
    Arrays.fill(huge, 1e200);
    Autoencoder m = Autoencoder.withParameters(CONFIG, huge);
    double[] losses = Training.fit(m, data(50, 2), new TrainingConfig(3, 16, 0), new Sgd(0.05), null,
        new SplittableRandom(3));
    assertTrue(Arrays.stream(losses).allMatch(Double::isNaN), Arrays.toString(losses));
    assertArrayEquals(huge, m.parameters());
    assertFalse(Double.isFinite(m.loss(data(1, 2)[0])), "the premise: this model's loss overflows");
  }
}
