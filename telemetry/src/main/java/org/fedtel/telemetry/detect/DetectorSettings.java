package org.fedtel.telemetry.detect;

import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.ReconstructionError;

/**
 * How to train an autoencoder detector locally.
 *
 * @param hidden hidden layer sizes (default 64-16-64)
 * @param activation hidden activation
 * @param scaler feature scaling
 * @param epochs training epochs
 * @param batchSize mini-batch size
 * @param learningRate Adam learning rate
 * @param error reconstruction error used as the anomaly score
 * @param thresholdPercentile threshold = this percentile of the training scores
 */
public record DetectorSettings(int[] hidden, Activation activation, Scaler.Kind scaler, int epochs, int batchSize,
                               double learningRate, ReconstructionError error, double thresholdPercentile) {
  public DetectorSettings {
    hidden = hidden.clone();
    if (scaler == null || activation == null || error == null) {
      throw new IllegalArgumentException("scaler, activation and error must not be null");
    }
    if (epochs < 1 || batchSize < 1) {
      throw new IllegalArgumentException("epochs and batchSize must be >= 1");
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learningRate must be > 0, was " + learningRate);
    }
    if (!(thresholdPercentile >= 0 && thresholdPercentile <= 100)) {
      throw new IllegalArgumentException("thresholdPercentile must be in [0, 100], was " + thresholdPercentile);
    }
  }

  /** 64-16-64 ReLU, standard scaling, 30 epochs of Adam(1e-3) in batches of 32, MSE, 99th percentile. */
  public static DetectorSettings defaults() {
    return new DetectorSettings(new int[] {64, 16, 64}, Activation.RELU, Scaler.Kind.STANDARD, 30, 32, 1e-3,
        ReconstructionError.MSE, 99);
  }

  @Override
  public int[] hidden() {
    return hidden.clone();
  }
}
