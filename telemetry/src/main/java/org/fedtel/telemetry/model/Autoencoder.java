package org.fedtel.telemetry.model;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * A dense (fully connected) autoencoder trained on mean-squared reconstruction error, with all
 * parameters in one flat {@code double[]} so that a model or an update is a plain vector for secure
 * aggregation and DP noise.
 *
 * <p>Parameter layout, layer by layer from the input: the weight matrix row-major
 * ({@code out x in}, row j = weights into unit j) followed by the bias vector.
 *
 * <p>Per-example gradients (for DP-SGD, Abadi et al., CCS 2016) come from the same
 * backpropagation as the batch gradient; each example's gradient is written straight into its row
 * instead of into a shared accumulator, so they cost about the same and allocate nothing.
 *
 * <p>An instance holds scratch buffers and is not thread-safe; give each thread (site) its own
 * instance ({@link #copy()}).
 */
public final class Autoencoder {
  private final AutoencoderConfig config;
  private final int[] widths;
  private final int layers;            // number of weight layers
  private final int[] weightOffset;     // index l = 1..layers
  private final int[] biasOffset;
  private final Activation[] activation;
  private final double[] params;
  private final double[][] acts;        // acts[l] = output of layer l (acts[0] unused: the input)
  private final double[][] deltas;      // dLoss/dz for layer l

  private Autoencoder(AutoencoderConfig config, double[] params) {
    this.config = config;
    this.widths = config.widths();
    this.layers = widths.length - 1;
    this.weightOffset = new int[layers + 1];
    this.biasOffset = new int[layers + 1];
    this.activation = new Activation[layers + 1];
    int off = 0;
    for (int l = 1; l <= layers; l++) {
      weightOffset[l] = off;
      off += widths[l] * widths[l - 1];
      biasOffset[l] = off;
      off += widths[l];
      activation[l] = l == layers ? config.outputActivation() : config.hiddenActivation();
    }
    this.params = params;
    this.acts = new double[layers + 1][];
    this.deltas = new double[layers + 1][];
    for (int l = 1; l <= layers; l++) {
      acts[l] = new double[widths[l]];
      deltas[l] = new double[widths[l]];
    }
  }

  /**
   * A freshly initialized model: Glorot-uniform weights (Glorot and Bengio, AISTATS 2010), zero
   * biases. The same configuration and the same random sequence give the same parameters.
   */
  public static Autoencoder initialize(AutoencoderConfig config, RandomGenerator random) {
    Autoencoder m = new Autoencoder(config, new double[config.parameterCount()]);
    for (int l = 1; l <= m.layers; l++) {
      int in = m.widths[l - 1];
      int out = m.widths[l];
      double limit = Math.sqrt(6.0 / (in + out));
      for (int k = m.weightOffset[l]; k < m.biasOffset[l]; k++) {
        m.params[k] = (2 * random.nextDouble() - 1) * limit;
      }
    }
    return m;
  }

  /** A model with the given parameters (copied; must be finite and of the right length). */
  public static Autoencoder withParameters(AutoencoderConfig config, double[] parameters) {
    Autoencoder m = new Autoencoder(config, new double[config.parameterCount()]);
    m.setParameters(parameters);
    return m;
  }

  /** An independent copy (same configuration and parameters, own scratch buffers). */
  public Autoencoder copy() {
    return withParameters(config, params);
  }

  public AutoencoderConfig config() {
    return config;
  }

  public int inputSize() {
    return widths[0];
  }

  public int parameterCount() {
    return params.length;
  }

  /** A copy of the flat parameter vector. */
  public double[] parameters() {
    return params.clone();
  }

  /** Copies the flat parameter vector into {@code dst} (length {@link #parameterCount()}). */
  public void copyParametersInto(double[] dst) {
    checkLength("destination", dst.length, params.length);
    System.arraycopy(params, 0, dst, 0, params.length);
  }

  /** Replaces all parameters (copied). Rejects a wrong length and any NaN or infinity. */
  public void setParameters(double[] parameters) {
    checkLength("parameters", parameters.length, params.length);
    for (int i = 0; i < parameters.length; i++) {
      if (!Double.isFinite(parameters[i])) {
        throw new IllegalArgumentException("parameter " + i + " is not finite: " + parameters[i]);
      }
    }
    System.arraycopy(parameters, 0, params, 0, params.length);
  }

  /** Applies one optimizer step with the given gradient (length {@link #parameterCount()}). */
  public void step(Optimizer optimizer, double[] gradient) {
    checkLength("gradient", gradient.length, params.length);
    optimizer.update(params, gradient);
  }

  /** Writes the reconstruction of {@code x} into {@code out} (both of length {@link #inputSize()}). */
  public void reconstruct(double[] x, double[] out) {
    checkLength("output", out.length, widths[0]);
    forward(x);
    System.arraycopy(acts[layers], 0, out, 0, out.length);
  }

  /** Mean squared reconstruction error of one example: the training loss. */
  public double loss(double[] x) {
    forward(x);
    return ReconstructionError.MSE.of(x, acts[layers]);
  }

  /** The anomaly score of one example under the given error. */
  public double score(double[] x, ReconstructionError error) {
    forward(x);
    return error.of(x, acts[layers]);
  }

  /**
   * The anomaly scores of {@code xs[from .. from+count)} into {@code out[0 .. count)}: exactly
   * {@link #score} of each, bit for bit. Four examples go through each layer together, so every
   * weight is loaded once for four dot products (four independent sums, each in the order
   * {@link #score} uses): about three times faster when a whole data set is scored.
   */
  public void scores(double[][] xs, int from, int count, ReconstructionError error, double[] out) {
    checkRange(xs, from, count);
    if (out.length < count) {
      throw new IllegalArgumentException("output has " + out.length + " elements for " + count + " scores");
    }
    int e = 0;
    if (count >= 4) {
      double[][][] quad = new double[4][layers + 1][];
      for (int k = 0; k < 4; k++) {
        for (int l = 1; l <= layers; l++) {
          quad[k][l] = new double[widths[l]];
        }
      }
      for (; e + 4 <= count; e += 4) {
        for (int k = 0; k < 4; k++) {
          checkLength("input", xs[from + e + k].length, widths[0]);
          quad[k][0] = xs[from + e + k];
        }
        forward4(quad);
        for (int k = 0; k < 4; k++) {
          out[e + k] = error.of(quad[k][0], quad[k][layers]);
        }
      }
    }
    for (; e < count; e++) {
      out[e] = score(xs[from + e], error);
    }
  }

  /** {@link #forward} of four examples at once; {@code q[k][0]} is example k's input. */
  private void forward4(double[][][] q) {
    for (int l = 1; l <= layers; l++) {
      double[] in0 = q[0][l - 1];
      double[] in1 = q[1][l - 1];
      double[] in2 = q[2][l - 1];
      double[] in3 = q[3][l - 1];
      double[] out0 = q[0][l];
      double[] out1 = q[1][l];
      double[] out2 = q[2][l];
      double[] out3 = q[3][l];
      int nIn = widths[l - 1];
      int w = weightOffset[l];
      int b = biasOffset[l];
      Activation f = activation[l];
      for (int j = 0; j < out0.length; j++) {
        double bias = params[b + j];
        double s0 = bias;
        double s1 = bias;
        double s2 = bias;
        double s3 = bias;
        int row = w + j * nIn;
        for (int i = 0; i < nIn; i++) {
          double wi = params[row + i];
          s0 += wi * in0[i];
          s1 += wi * in1[i];
          s2 += wi * in2[i];
          s3 += wi * in3[i];
        }
        out0[j] = f.apply(s0);
        out1[j] = f.apply(s1);
        out2[j] = f.apply(s2);
        out3[j] = f.apply(s3);
      }
    }
  }

  /**
   * The gradient of the mean loss over {@code batch[from .. from+count)} into {@code gradient}
   * (overwritten). Returns the mean loss.
   */
  public double gradient(double[][] batch, int from, int count, double[] gradient) {
    checkRange(batch, from, count);
    checkLength("gradient", gradient.length, params.length);
    Arrays.fill(gradient, 0);
    double loss = 0;
    for (int e = 0; e < count; e++) {
      double[] x = batch[from + e];
      forward(x);
      loss += backward(x);
      writeGradient(x, gradient, 1.0, false);
    }
    double inv = 1.0 / count;
    for (int k = 0; k < gradient.length; k++) {
      gradient[k] *= inv;
    }
    return loss * inv;
  }

  /**
   * Per-example gradients: row {@code e} of {@code gradients} (overwritten) becomes the gradient of
   * the loss of {@code batch[from + e]} alone, for {@code e < count}. The mean of the rows equals
   * {@link #gradient}. Returns the mean loss.
   */
  public double perExampleGradients(double[][] batch, int from, int count, double[][] gradients) {
    checkRange(batch, from, count);
    if (gradients.length < count) {
      throw new IllegalArgumentException("gradients has " + gradients.length + " rows, need " + count);
    }
    double loss = 0;
    for (int e = 0; e < count; e++) {
      double[] row = gradients[e];
      checkLength("gradient row " + e, row.length, params.length);
      double[] x = batch[from + e];
      forward(x);
      loss += backward(x);
      writeGradient(x, row, 1.0, true);
    }
    return loss / count;
  }

  /**
   * The DP-SGD step's clipped sum (Abadi et al., CCS 2016, Algorithm 1): writes into {@code sum}
   * (overwritten) the sum over {@code batch[from .. from+count)} of each example's gradient scaled by
   * min(1, clipNorm / ||g_i||), i.e. clipped to L2 norm at most {@code clipNorm}. Equal to clipping
   * the rows of {@link #perExampleGradients} and adding them, at about the cost of
   * {@link #gradient}: each example's norm comes from ||delta|| ||input|| per layer, so no
   * per-example vector is formed. The caller adds the noise. Returns the mean loss.
   *
   * <p>An example whose gradient norm is not finite (a diverged model overflows on it) adds nothing
   * to the sum, and the mean loss returned is then not finite either, so the caller knows. Zero is
   * within the clip bound and depends on that example alone, so each example still changes the sum
   * by at most {@code clipNorm} and the DP-SGD analysis holds unchanged; scaling such a gradient
   * instead would put 0 · ∞ = NaN into every coordinate of the sum.
   *
   * @param norms if not null, receives each example's unclipped gradient norm (length >= count)
   */
  public double clippedGradientSum(double[][] batch, int from, int count, double clipNorm, double[] sum,
                                   double[] norms) {
    checkRange(batch, from, count);
    checkLength("sum", sum.length, params.length);
    if (!(clipNorm > 0) || !Double.isFinite(clipNorm)) {
      throw new IllegalArgumentException("clipNorm must be finite and > 0, was " + clipNorm);
    }
    if (norms != null && norms.length < count) {
      throw new IllegalArgumentException("norms has length " + norms.length + ", need " + count);
    }
    Arrays.fill(sum, 0);
    double loss = 0;
    for (int e = 0; e < count; e++) {
      double[] x = batch[from + e];
      forward(x);
      loss += backward(x);
      double norm = Math.sqrt(gradientSquaredNorm(x));
      if (norms != null) {
        norms[e] = norm;
      }
      if (!Double.isFinite(norm)) {
        loss = Double.POSITIVE_INFINITY;
        continue;
      }
      double scale = norm > clipNorm ? clipNorm / norm : 1.0;
      writeGradient(x, sum, scale, false);
    }
    return loss / count;
  }

  private void forward(double[] x) {
    checkLength("input", x.length, widths[0]);
    double[] in = x;
    for (int l = 1; l <= layers; l++) {
      double[] out = acts[l];
      int nIn = widths[l - 1];
      int w = weightOffset[l];
      int b = biasOffset[l];
      Activation f = activation[l];
      for (int j = 0; j < out.length; j++) {
        double s = params[b + j];
        int row = w + j * nIn;
        for (int i = 0; i < nIn; i++) {
          s += params[row + i] * in[i];
        }
        out[j] = f.apply(s);
      }
      in = out;
    }
  }

  /** Backpropagates the MSE loss of x after {@link #forward} into {@code deltas}; returns that loss. */
  private double backward(double[] x) {
    double[] y = acts[layers];
    double[] d = deltas[layers];
    int n = x.length;
    double scale = 2.0 / n;
    double loss = 0;
    Activation fOut = activation[layers];
    for (int j = 0; j < n; j++) {
      double diff = y[j] - x[j];
      loss += diff * diff;
      d[j] = scale * diff * fOut.derivativeFromOutput(y[j]);
    }
    for (int l = layers; l > 1; l--) {
      double[] delta = deltas[l];
      double[] below = deltas[l - 1];
      double[] prev = acts[l - 1];
      int nIn = prev.length;
      int w = weightOffset[l];
      Arrays.fill(below, 0);
      for (int j = 0; j < delta.length; j++) {
        double dj = delta[j];
        if (dj == 0) {
          continue;
        }
        int row = w + j * nIn;
        for (int i = 0; i < nIn; i++) {
          below[i] += params[row + i] * dj;
        }
      }
      Activation f = activation[l - 1];
      for (int i = 0; i < nIn; i++) {
        below[i] *= f.derivativeFromOutput(prev[i]);
      }
    }
    return loss / n;
  }

  /**
   * Writes (overwrite) or adds {@code scale} times the gradient held in {@code deltas} into g: for
   * each layer the outer product delta x input, and delta for the bias.
   */
  private void writeGradient(double[] x, double[] g, double scale, boolean overwrite) {
    for (int l = 1; l <= layers; l++) {
      double[] delta = deltas[l];
      double[] prev = l == 1 ? x : acts[l - 1];
      int nIn = prev.length;
      int w = weightOffset[l];
      int b = biasOffset[l];
      for (int j = 0; j < delta.length; j++) {
        double dj = scale * delta[j];
        int row = w + j * nIn;
        if (overwrite) {
          if (dj == 0) {
            Arrays.fill(g, row, row + nIn, 0.0); // inactive ReLU unit: a plain store, no multiply
          } else {
            for (int i = 0; i < nIn; i++) {
              g[row + i] = dj * prev[i];
            }
          }
          g[b + j] = dj;
        } else if (dj != 0) {
          for (int i = 0; i < nIn; i++) {
            g[row + i] += dj * prev[i];
          }
          g[b + j] += dj;
        }
      }
    }
  }

  /**
   * Squared L2 norm of the gradient held in {@code deltas}, without forming it: the weight gradient
   * of a dense layer is the outer product delta x input, whose squared Frobenius norm is
   * ||delta||^2 ||input||^2 (Goodfellow, "Efficient per-example gradient computations", 2015).
   */
  private double gradientSquaredNorm(double[] x) {
    double total = 0;
    for (int l = 1; l <= layers; l++) {
      double[] delta = deltas[l];
      double[] prev = l == 1 ? x : acts[l - 1];
      double dd = 0;
      for (double v : delta) {
        dd += v * v;
      }
      double aa = 0;
      for (double v : prev) {
        aa += v * v;
      }
      total += dd * (aa + 1); // + 1 for the bias
    }
    return total;
  }

  private void checkRange(double[][] batch, int from, int count) {
    if (count < 1 || from < 0 || from + count > batch.length) {
      throw new IllegalArgumentException(
          "batch range [" + from + ", " + (from + count) + ") invalid for " + batch.length + " examples");
    }
  }

  private static void checkLength(String what, int actual, int expected) {
    if (actual != expected) {
      throw new IllegalArgumentException(what + " has length " + actual + ", expected " + expected);
    }
  }
}
