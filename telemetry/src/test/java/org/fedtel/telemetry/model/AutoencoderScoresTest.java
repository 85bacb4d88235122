package org.fedtel.telemetry.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The four-at-a-time scoring path gives exactly the one-at-a-time scores, bit for bit. */
class AutoencoderScoresTest {
  private static double[][] data(SplittableRandom r, int n, int d) {
    double[][] x = new double[n][d];
    for (double[] row : x) {
      for (int i = 0; i < d; i++) {
        row[i] = r.nextGaussian() * 3;
      }
    }
    return x;
  }

  @Test
  void batchScoresEqualSingleScoresBitForBit() {
    SplittableRandom r = new SplittableRandom(5);
    AutoencoderConfig[] configs = {
      AutoencoderConfig.defaults(37),
      new AutoencoderConfig(11, new int[] {7, 3, 7}, Activation.TANH, Activation.SIGMOID),
      new AutoencoderConfig(5, new int[] {4}, Activation.RELU, Activation.IDENTITY),
    };
    for (AutoencoderConfig c : configs) {
      Autoencoder m = Autoencoder.initialize(c, r);
      double[][] x = data(r, 23, c.inputSize());
      for (ReconstructionError e : ReconstructionError.values()) {
        for (int from : new int[] {0, 1, 5}) {
          for (int count = 1; from + count <= x.length; count += 3) {
            double[] out = new double[count];
            m.scores(x, from, count, e, out);
            for (int k = 0; k < count; k++) {
              double single = m.score(x[from + k], e);
              assertEquals(Double.doubleToRawLongBits(single), Double.doubleToRawLongBits(out[k]),
                  c + " " + e + " example " + (from + k) + ": " + single + " vs " + out[k]);
            }
          }
        }
      }
    }
  }

  @Test
  void rejectsBadRanges() {
    Autoencoder m = Autoencoder.initialize(AutoencoderConfig.defaults(6), new SplittableRandom(1));
    double[][] x = data(new SplittableRandom(2), 5, 6);
    assertThrows(IllegalArgumentException.class, () -> m.scores(x, 3, 4, ReconstructionError.MSE, new double[4]));
    assertThrows(IllegalArgumentException.class, () -> m.scores(x, 0, 5, ReconstructionError.MSE, new double[4]));
    double[][] wrong = {new double[6], new double[6], new double[6], new double[5]};
    assertThrows(IllegalArgumentException.class, () -> m.scores(wrong, 0, 4, ReconstructionError.MSE, new double[4]));
  }
}
