package org.fedtel.telemetry.model;

import java.util.Arrays;

/**
 * Shape of a dense autoencoder: {@code inputSize -> hidden[0] -> ... -> hidden[k-1] -> inputSize}.
 *
 * @param inputSize number of inputs (and outputs)
 * @param hidden sizes of the hidden layers, encoder and decoder, e.g. {@code 64,16,64}
 * @param hiddenActivation activation of every hidden layer
 * @param outputActivation activation of the output layer (identity for standardized inputs,
 *     sigmoid for inputs min-max scaled to [0, 1])
 */
public record AutoencoderConfig(int inputSize, int[] hidden, Activation hiddenActivation,
                                Activation outputActivation) {
  /** The default hidden layout, 64-16-64. */
  public static final int[] DEFAULT_HIDDEN = {64, 16, 64};

  public AutoencoderConfig {
    if (inputSize < 1) {
      throw new IllegalArgumentException("inputSize must be >= 1, was " + inputSize);
    }
    if (hidden == null || hidden.length == 0) {
      throw new IllegalArgumentException("at least one hidden layer is required");
    }
    hidden = hidden.clone();
    for (int h : hidden) {
      if (h < 1) {
        throw new IllegalArgumentException("hidden layer sizes must be >= 1, were " + Arrays.toString(hidden));
      }
    }
    if (hiddenActivation == null || outputActivation == null) {
      throw new IllegalArgumentException("activations must not be null");
    }
  }

  /** The default model: hidden 64-16-64, ReLU, identity output. */
  public static AutoencoderConfig defaults(int inputSize) {
    return new AutoencoderConfig(inputSize, DEFAULT_HIDDEN, Activation.RELU, Activation.IDENTITY);
  }

  @Override
  public int[] hidden() {
    return hidden.clone();
  }

  /** Layer widths including input and output: {@code inputSize, hidden..., inputSize}. */
  int[] widths() {
    int[] w = new int[hidden.length + 2];
    w[0] = inputSize;
    System.arraycopy(hidden, 0, w, 1, hidden.length);
    w[w.length - 1] = inputSize;
    return w;
  }

  /** Number of trainable parameters (weights and biases of every layer). */
  public int parameterCount() {
    int[] w = widths();
    long n = 0;
    for (int l = 1; l < w.length; l++) {
      n += (long) w[l] * w[l - 1] + w[l];
    }
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("model too large: " + n + " parameters");
    }
    return (int) n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AutoencoderConfig c && c.inputSize == inputSize && Arrays.equals(c.hidden, hidden)
        && c.hiddenActivation == hiddenActivation && c.outputActivation == outputActivation;
  }

  @Override
  public int hashCode() {
    return (inputSize * 31 + Arrays.hashCode(hidden)) * 31 + hiddenActivation.hashCode() * 7
        + outputActivation.hashCode();
  }

  @Override
  public String toString() {
    return "AutoencoderConfig[input=" + inputSize + ", hidden=" + Arrays.toString(hidden) + ", "
        + hiddenActivation + "/" + outputActivation + "]";
  }
}
