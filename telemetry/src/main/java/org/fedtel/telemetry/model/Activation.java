package org.fedtel.telemetry.model;

/**
 * Element-wise activation of a dense layer. The derivative is expressed in terms of the activation's
 * output, so backpropagation needs only the stored outputs, not the pre-activations.
 */
public enum Activation {
  IDENTITY, RELU, TANH, SIGMOID;

  double apply(double z) {
    switch (this) {
      case RELU: return z > 0 ? z : 0;
      case TANH: return Math.tanh(z);
      case SIGMOID: return 1.0 / (1.0 + Math.exp(-z));
      default: return z;
    }
  }

  /** f'(z) written as a function of a = f(z). */
  double derivativeFromOutput(double a) {
    switch (this) {
      case RELU: return a > 0 ? 1 : 0;
      case TANH: return 1 - a * a;
      case SIGMOID: return a * (1 - a);
      default: return 1;
    }
  }
}
