package org.fedtel.telemetry.model;

import java.util.random.RandomGenerator;

/**
 * Mini-batch training of an {@link Autoencoder} without differential privacy (the DP-SGD loop lives
 * in the privacy and site-agent modules and uses {@link Autoencoder#perExampleGradients}).
 */
public final class Training {
  private Training() {}

  /**
   * Trains {@code model} in place on {@code data} (rows of length {@code model.inputSize()}),
   * shuffling with {@code random} each epoch. With {@code config.proximalMu() > 0},
   * {@code globalParameters} is the FedProx anchor (required then, ignored otherwise).
   *
   * <p>A diverging model (weights so large that the forward or backward pass overflows) stops the
   * training before the first step whose batch loss or gradient is not finite: the model keeps its
   * last finite parameters, and that epoch and the ones after it get a loss of NaN. Without the
   * stop, one such step would make every parameter NaN.
   *
   * @return the mean training loss of each epoch; NaN from the epoch in which training diverged
   */
  public static double[] fit(Autoencoder model, double[][] data, TrainingConfig config, Optimizer optimizer,
                             double[] globalParameters, RandomGenerator random) {
    if (data.length == 0) {
      throw new IllegalArgumentException("no training data");
    }
    boolean prox = config.proximalMu() > 0;
    if (prox && (globalParameters == null || globalParameters.length != model.parameterCount())) {
      throw new IllegalArgumentException("FedProx needs global parameters of length " + model.parameterCount());
    }
    int n = data.length;
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    int bs = Math.min(config.batchSize(), n);
    double[][] batch = new double[bs][];
    double[] grad = new double[model.parameterCount()];
    double[] w = prox ? new double[model.parameterCount()] : null;
    double[] losses = new double[config.epochs()];
    for (int epoch = 0; epoch < config.epochs(); epoch++) {
      for (int i = n - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      double sum = 0;
      for (int start = 0; start < n; start += bs) {
        int count = Math.min(bs, n - start);
        for (int k = 0; k < count; k++) {
          batch[k] = data[order[start + k]];
        }
        double loss = model.gradient(batch, 0, count, grad);
        if (!Double.isFinite(loss) || !finite(grad)) {
          java.util.Arrays.fill(losses, epoch, losses.length, Double.NaN);
          return losses;
        }
        sum += loss * count;
        if (prox) {
          model.copyParametersInto(w);
          FedProx.addProximalGradient(grad, w, globalParameters, config.proximalMu());
        }
        model.step(optimizer, grad);
      }
      losses[epoch] = sum / n;
    }
    return losses;
  }

  private static boolean finite(double[] v) {
    for (double x : v) {
      if (!Double.isFinite(x)) {
        return false;
      }
    }
    return true;
  }
}
