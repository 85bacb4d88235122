package org.fedtel.telemetry.model;

/** Adam (Kingma and Ba, ICLR 2015, Algorithm 1), with bias-corrected moment estimates. */
public final class Adam implements Optimizer {
  private final double learningRate;
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private double[] m;
  private double[] v;
  private long t;

  /** Adam with the paper's defaults: beta1 0.9, beta2 0.999, epsilon 1e-8. */
  public Adam(double learningRate) {
    this(learningRate, 0.9, 0.999, 1e-8);
  }

  public Adam(double learningRate, double beta1, double beta2, double epsilon) {
    if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException("learningRate must be finite and > 0, was " + learningRate);
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1), were " + beta1 + ", " + beta2);
    }
    if (!(epsilon > 0)) {
      throw new IllegalArgumentException("epsilon must be > 0, was " + epsilon);
    }
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  @Override
  public void update(double[] params, double[] gradient) {
    if (params.length != gradient.length) {
      throw new IllegalArgumentException("params " + params.length + " vs gradient " + gradient.length);
    }
    if (m == null) {
      m = new double[params.length];
      v = new double[params.length];
    } else if (m.length != params.length) {
      throw new IllegalArgumentException("optimizer state has length " + m.length + ", params " + params.length);
    }
    t++;
    double c1 = 1 - Math.pow(beta1, t);
    double c2 = 1 - Math.pow(beta2, t);
    double stepSize = learningRate * Math.sqrt(c2) / c1;
    // The paper's efficient form: epsilon-hat = epsilon * sqrt(1 - beta2^t).
    double epsHat = epsilon * Math.sqrt(c2);
    for (int i = 0; i < params.length; i++) {
      double gi = gradient[i];
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      params[i] -= stepSize * m[i] / (Math.sqrt(v[i]) + epsHat);
    }
  }

  /** Steps taken so far. */
  public long steps() {
    return t;
  }
}
