package org.fedtel.coordinator.strategy;

/**
 * Per-round instructions a strategy adds to every site's training configuration.
 *
 * @param proximalMu FedProx proximal coefficient mu; 0 means the plain local objective
 */
public record FitInstructions(double proximalMu) {
  public FitInstructions {
    if (!(proximalMu >= 0) || Double.isInfinite(proximalMu)) {
      throw new IllegalArgumentException("proximalMu must be finite and >= 0, got " + proximalMu);
    }
  }

  /** The plain local objective. */
  public static final FitInstructions PLAIN = new FitInstructions(0);
}
