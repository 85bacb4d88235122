package org.fedtel.telemetry.model;

/**
 * Plain (non-private) local training settings.
 *
 * @param epochs passes over the data
 * @param batchSize examples per gradient step (the last batch of an epoch may be smaller)
 * @param proximalMu FedProx coefficient; 0 for plain local training
 */
public record TrainingConfig(int epochs, int batchSize, double proximalMu) {
  public TrainingConfig {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, was " + epochs);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
    }
    if (!(proximalMu >= 0) || !Double.isFinite(proximalMu)) {
      throw new IllegalArgumentException("proximalMu must be finite and >= 0, was " + proximalMu);
    }
  }
}
