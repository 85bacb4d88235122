package org.fedtel.siteagent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.fedtel.telemetry.model.ReconstructionError;
import org.junit.jupiter.api.Test;

class AutoencoderTrainerValidationTest {
  private static final AutoencoderConfig CONFIG = new AutoencoderConfig(4, new int[] {3}, Activation.RELU, Activation.IDENTITY);

  private static double[][] gaussian(int n, double mean, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] x = new double[n][4];
    for (double[] row : x) {
      for (int j = 0; j < row.length; j++) {
        row[j] = mean + 0.1 * r.nextGaussian();
      }
    }
    return x;
  }

  @Test
  void validationCountsAgainstTheSlowRuleOfFedtelDetect() {
    double[][] train = gaussian(200, 0, 1);
    double[][] normal = gaussian(30, 0, 2);
    double[][] far = gaussian(10, 50, 3); // far outside the training data: every model flags these
    double[][] validation = new double[40][];
    boolean[] anomalous = new boolean[40];
    for (int i = 0; i < 30; i++) {
      validation[i] = normal[i];
    }
    for (int i = 0; i < 10; i++) {
      validation[30 + i] = far[i];
      anomalous[30 + i] = true;
    }
    // Two of the "normal" windows are far too: false positives; one labelled anomaly is ordinary: a false negative.
    validation[0] = far[0].clone();
    validation[1] = far[1].clone();
    validation[39] = normal[5].clone();
    AutoencoderTrainer trainer = new AutoencoderTrainer(CONFIG, train).validation(validation, anomalous);
    double[] global = Autoencoder.initialize(CONFIG, new SplittableRandom(9)).parameters();

    // The reference: threshold at the 99th percentile (numpy linear) of the training errors, flag above it.
    Autoencoder model = Autoencoder.withParameters(CONFIG, global);
    double[] errors = new double[train.length];
    for (int i = 0; i < train.length; i++) {
      errors[i] = model.score(train[i], ReconstructionError.MSE);
    }
    java.util.Arrays.sort(errors);
    double pos = 0.99 * (errors.length - 1);
    int lo = (int) Math.floor(pos);
    double threshold = errors[lo] + (pos - lo) * (errors[lo + 1] - errors[lo]);
    int tp = 0;
    int fp = 0;
    int fn = 0;
    for (int i = 0; i < validation.length; i++) {
      boolean flagged = model.score(validation[i], ReconstructionError.MSE) > threshold;
      tp += flagged && anomalous[i] ? 1 : 0;
      fp += flagged && !anomalous[i] ? 1 : 0;
      fn += !flagged && anomalous[i] ? 1 : 0;
    }
    LocalTrainer.Validation v = trainer.validate(global);
    assertEquals(tp / 40.0, v.truePositive(), 1e-12);
    assertEquals(fp / 40.0, v.falsePositive(), 1e-12);
    assertEquals(fn / 40.0, v.falseNegative(), 1e-12);
    // The far windows are flagged whatever the random model: 9 true positives, at least 2 false positives.
    assertEquals(9 / 40.0, v.truePositive(), 1e-12);
  }

  @Test
  void withoutValidationWindowsThereIsNoValidation() {
    AutoencoderTrainer trainer = new AutoencoderTrainer(CONFIG, gaussian(10, 0, 1));
    assertNull(trainer.validate(Autoencoder.initialize(CONFIG, new SplittableRandom(1)).parameters()));
    assertThrows(IllegalArgumentException.class, () -> trainer.validation(new double[2][4], new boolean[1]));
    assertThrows(IllegalArgumentException.class, () -> trainer.validation(new double[1][3], new boolean[1]));
  }
}
