package org.fedtel.telemetry.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class AutoencoderTest {

  private static double[][] data(int n, int d, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] x = new double[n][d];
    for (double[] row : x) {
      for (int i = 0; i < d; i++) {
        row[i] = r.nextDouble() * 2 - 1;
      }
    }
    return x;
  }

  /** Mean loss over the batch as a function of the parameters: the slow reference. */
  private static double meanLoss(AutoencoderConfig c, double[] p, double[][] batch) {
    Autoencoder m = Autoencoder.withParameters(c, p);
    double s = 0;
    for (double[] x : batch) {
      s += m.loss(x);
    }
    return s / batch.length;
  }

  @ParameterizedTest
  @EnumSource(value = Activation.class, names = {"TANH", "SIGMOID", "IDENTITY"})
  void batchAndPerExampleGradientsMatchCentralFiniteDifferences(Activation hidden) {
    AutoencoderConfig c = new AutoencoderConfig(7, new int[] {5, 3, 5}, hidden, Activation.SIGMOID);
    Autoencoder m = Autoencoder.initialize(c, new SplittableRandom(1));
    double[][] batch = data(4, 7, 2);
    double[] g = new double[m.parameterCount()];
    m.gradient(batch, 0, 4, g);
    double[][] rows = new double[4][m.parameterCount()];
    for (double[] row : rows) {
      Arrays.fill(row, 123.0); // must be overwritten
    }
    m.perExampleGradients(batch, 0, 4, rows);
    double[] p = m.parameters();
    double h = 1e-6;
    for (int k = 0; k < p.length; k++) {
      double saved = p[k];
      p[k] = saved + h;
      double up = meanLoss(c, p, batch);
      p[k] = saved - h;
      double down = meanLoss(c, p, batch);
      p[k] = saved;
      double numeric = (up - down) / (2 * h);
      assertEquals(numeric, g[k], 1e-7 + 1e-5 * Math.abs(numeric), "batch gradient, parameter " + k);
      for (int e = 0; e < 4; e++) {
        p[k] = saved + h;
        double upE = meanLoss(c, p, new double[][] {batch[e]});
        p[k] = saved - h;
        double downE = meanLoss(c, p, new double[][] {batch[e]});
        p[k] = saved;
        double numericE = (upE - downE) / (2 * h);
        assertEquals(numericE, rows[e][k], 1e-7 + 1e-5 * Math.abs(numericE),
            "per-example gradient, example " + e + ", parameter " + k);
      }
    }
  }

  @Test
  void reluGradientMatchesFiniteDifferencesAwayFromKinks() {
    AutoencoderConfig c = AutoencoderConfig.defaults(12);
    Autoencoder m = Autoencoder.initialize(c, new SplittableRandom(3));
    double[][] batch = data(3, 12, 4);
    double[][] rows = new double[3][m.parameterCount()];
    m.perExampleGradients(batch, 0, 3, rows);
    double[] p = m.parameters();
    double h = 1e-7;
    int checked = 0;
    for (int k = 0; k < p.length; k += 7) {
      double saved = p[k];
      p[k] = saved + h;
      double up = meanLoss(c, p, new double[][] {batch[1]});
      p[k] = saved - h;
      double down = meanLoss(c, p, new double[][] {batch[1]});
      p[k] = saved;
      double numeric = (up - down) / (2 * h);
      assertEquals(numeric, rows[1][k], 1e-6 + 1e-4 * Math.abs(numeric), "parameter " + k);
      checked++;
    }
    assertTrue(checked > 100);
  }

  @Test
  void meanOfPerExampleRowsIsTheBatchGradient() {
    Autoencoder m = Autoencoder.initialize(AutoencoderConfig.defaults(20), new SplittableRandom(5));
    double[][] batch = data(8, 20, 6);
    double[] g = new double[m.parameterCount()];
    double lossA = m.gradient(batch, 2, 5, g);
    double[][] rows = new double[5][m.parameterCount()];
    double lossB = m.perExampleGradients(batch, 2, 5, rows);
    assertEquals(lossA, lossB, 1e-15);
    for (int k = 0; k < g.length; k++) {
      double s = 0;
      for (double[] row : rows) {
        s += row[k];
      }
      assertEquals(g[k], s / 5, 1e-12);
    }
  }

  @Test
  void initializationIsDeterministicUnderASeed() {
    AutoencoderConfig c = AutoencoderConfig.defaults(200);
    double[] a = Autoencoder.initialize(c, new SplittableRandom(9)).parameters();
    double[] b = Autoencoder.initialize(c, new SplittableRandom(9)).parameters();
    double[] other = Autoencoder.initialize(c, new SplittableRandom(10)).parameters();
    assertArrayEquals(a, b);
    assertNotEquals(Arrays.hashCode(a), Arrays.hashCode(other));
    assertEquals(200 * 64 + 64 + 64 * 16 + 16 + 16 * 64 + 64 + 64 * 200 + 200, a.length);
  }

  @Test
  void trainingReducesLossAndIsReproducible() {
    double[][] x = data(200, 10, 11);
    // Low-rank data: an autoencoder with a bottleneck of 2 can learn it.
    for (double[] row : x) {
      for (int i = 2; i < 10; i++) {
        row[i] = 0.5 * row[0] - 0.3 * row[1] * (i % 3);
      }
    }
    AutoencoderConfig c = new AutoencoderConfig(10, new int[] {8, 2, 8}, Activation.TANH, Activation.IDENTITY);
    Autoencoder a = Autoencoder.initialize(c, new SplittableRandom(1));
    Autoencoder b = Autoencoder.initialize(c, new SplittableRandom(1));
    TrainingConfig tc = new TrainingConfig(30, 16, 0);
    double[] la = Training.fit(a, x, tc, new Adam(0.01), null, new SplittableRandom(2));
    double[] lb = Training.fit(b, x, tc, new Adam(0.01), null, new SplittableRandom(2));
    assertArrayEquals(la, lb);
    assertArrayEquals(a.parameters(), b.parameters());
    assertTrue(la[29] < 0.2 * la[0], "loss " + la[0] + " -> " + la[29]);
  }

  @Test
  void fedProxPullsTowardsTheGlobalModel() {
    double[] w = {1, 2, 3};
    double[] global = {0, 2, 5};
    double[] g = {0.5, 0.5, 0.5};
    FedProx.addProximalGradient(g, w, global, 0.1);
    assertArrayEquals(new double[] {0.6, 0.5, 0.3}, g, 1e-15);
    assertEquals(0.05 * (1 + 4), FedProx.proximalTerm(w, global, 0.1), 1e-15);
    // gradient of the term by finite differences
    double h = 1e-6;
    double[] up = {1 + h, 2, 3};
    double[] down = {1 - h, 2, 3};
    assertEquals(0.1 * 1, (FedProx.proximalTerm(up, global, 0.1) - FedProx.proximalTerm(down, global, 0.1)) / (2 * h), 1e-8);
    assertThrows(IllegalArgumentException.class, () -> FedProx.addProximalGradient(g, w, new double[2], 0.1));
    assertThrows(IllegalArgumentException.class, () -> FedProx.addProximalGradient(g, w, global, -1));
  }

  @Test
  void adamFirstStepMovesEachParameterByTheLearningRate() {
    // With bias correction, the first Adam step is lr * g / (|g| + eps), about lr * sign(g).
    double[] p = {1, 1, 1};
    new Adam(0.01).update(p, new double[] {3, -0.5, 1e-3});
    assertArrayEquals(new double[] {1 - 0.01 * 3 / (3 + 1e-8), 1 + 0.01 * 0.5 / (0.5 + 1e-8),
        1 - 0.01 * 1e-3 / (1e-3 + 1e-8)}, p, 1e-13);
    double[] q = {1, 1};
    new Sgd(0.1).update(q, new double[] {2, -1});
    assertArrayEquals(new double[] {0.8, 1.1}, q, 1e-15);
  }

  @Test
  void rejectsCallerBugs() {
    AutoencoderConfig c = AutoencoderConfig.defaults(4);
    Autoencoder m = Autoencoder.initialize(c, new SplittableRandom(1));
    double[] p = m.parameters();
    p[3] = Double.NaN;
    assertThrows(IllegalArgumentException.class, () -> m.setParameters(p));
    assertThrows(IllegalArgumentException.class, () -> m.setParameters(new double[5]));
    assertThrows(IllegalArgumentException.class, () -> m.loss(new double[5]));
    assertThrows(IllegalArgumentException.class, () -> m.gradient(new double[2][4], 1, 2, new double[m.parameterCount()]));
    assertThrows(IllegalArgumentException.class,
        () -> m.perExampleGradients(new double[2][4], 0, 2, new double[1][m.parameterCount()]));
    assertThrows(IllegalArgumentException.class, () -> new AutoencoderConfig(4, new int[0], Activation.RELU, Activation.RELU));
    assertThrows(IllegalArgumentException.class, () -> new Adam(-1));
  }

  @Test
  void clippedSumEqualsClippingThePerExampleRows() {
    Autoencoder m = Autoencoder.initialize(AutoencoderConfig.defaults(30), new SplittableRandom(12));
    double[][] batch = data(9, 30, 13);
    double[][] rows = new double[9][m.parameterCount()];
    double lossRows = m.perExampleGradients(batch, 0, 9, rows);
    double[] rowNorms = new double[9];
    for (int e = 0; e < 9; e++) {
      double s = 0;
      for (double v : rows[e]) {
        s += v * v;
      }
      rowNorms[e] = Math.sqrt(s);
    }
    double clip = median(rowNorms); // about half the examples get clipped
    double[] expected = new double[m.parameterCount()];
    int clipped = 0;
    for (int e = 0; e < 9; e++) {
      double c = rowNorms[e] > clip ? clip / rowNorms[e] : 1;
      clipped += c < 1 ? 1 : 0;
      for (int k = 0; k < expected.length; k++) {
        expected[k] += c * rows[e][k];
      }
    }
    assertTrue(clipped >= 3 && clipped <= 6, "clipped " + clipped);
    double[] sum = new double[m.parameterCount()];
    double[] norms = new double[9];
    double loss = m.clippedGradientSum(batch, 0, 9, clip, sum, norms);
    assertEquals(lossRows, loss, 1e-15);
    assertArrayEquals(rowNorms, norms, 1e-12);
    assertArrayEquals(expected, sum, 1e-12);
    // with a huge clip norm nothing is clipped: the sum is count x the mean gradient
    double[] g = new double[m.parameterCount()];
    m.gradient(batch, 0, 9, g);
    m.clippedGradientSum(batch, 0, 9, 1e9, sum, null);
    for (int k = 0; k < g.length; k++) {
      assertEquals(9 * g[k], sum[k], 1e-12);
    }
    assertThrows(IllegalArgumentException.class, () -> m.clippedGradientSum(batch, 0, 9, 0, sum, null));
  }

  @Test
  void anExampleTheModelOverflowsOnAddsNothingToTheClippedSum() {
    AutoencoderConfig c = new AutoencoderConfig(7, new int[] {5, 3, 5}, Activation.TANH, Activation.IDENTITY);
    Autoencoder m = Autoencoder.initialize(c, new SplittableRandom(1));
    double[][] normal = data(3, 7, 2);
    double[] overflowing = new double[7];
    Arrays.fill(overflowing, 1e300); // the identity output and the squared error overflow
    double[][] batch = {normal[0], normal[1], overflowing, normal[2]};
    double[] expected = new double[m.parameterCount()];
    m.clippedGradientSum(normal, 0, 3, 0.5, expected, null);
    double[] sum = new double[m.parameterCount()];
    double[] norms = new double[4];
    double loss = m.clippedGradientSum(batch, 0, 4, 0.5, sum, norms);
    assertFalse(Double.isFinite(norms[2]), "the premise: this example's gradient norm overflows");
    assertFalse(Double.isFinite(loss), "the mean loss tells the caller");
    assertArrayEquals(expected, sum, 1e-15);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
