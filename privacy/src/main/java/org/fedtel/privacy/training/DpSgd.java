package org.fedtel.privacy.training;

import java.util.Objects;
import java.util.random.RandomGenerator;
import org.fedtel.privacy.noise.GaussianNoise;

/**
 * One DP-SGD step's gradient privatisation (Abadi et al., CCS 2016, Algorithm 1): each example's
 * gradient is clipped to L2 ≤ C, the clipped gradients are summed, and Gaussian noise of standard
 * deviation z·C (secure sampler) is added to every coordinate of the sum. With Poisson sampling at
 * rate q the sum is divided by the expected batch size q·N, as Opacus does, so the divisor does not
 * depend on the data. Writes into caller-supplied arrays; allocates nothing per step.
 */
public final class DpSgd {
  private final double clipNorm;
  private final double noiseMultiplier;
  private final GaussianNoise noise;

  public DpSgd(double clipNorm, double noiseMultiplier, RandomGenerator random) {
    if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
      throw new IllegalArgumentException("clip norm must be finite and > 0, got " + clipNorm);
    }
    if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
      throw new IllegalArgumentException("noise multiplier must be finite and > 0, got " + noiseMultiplier);
    }
    this.clipNorm = clipNorm;
    this.noiseMultiplier = noiseMultiplier;
    this.noise = new GaussianNoise(Objects.requireNonNull(random, "random"));
  }

  public double clipNorm() {
    return clipNorm;
  }

  public double noiseMultiplier() {
    return noiseMultiplier;
  }

  /**
   * out = Σ_{i < rows} clip(perExample[i]) + N(0, (zC)²)^d. Rows beyond {@code rows} are ignored so a
   * caller can reuse one large buffer for batches of varying size.
   *
   * @return how many rows were clipped (norm &gt; C)
   */
  public int noisySum(double[][] perExample, int rows, double[] out) {
    int clipped = clippedSum(perExample, rows, out);
    noise.addNoiseInPlace(out, noiseMultiplier * clipNorm);
    return clipped;
  }

  /** {@link #noisySum} divided by {@code expectedBatchSize} (q·N under Poisson sampling). */
  public int noisyMean(double[][] perExample, int rows, double expectedBatchSize, double[] out) {
    if (!(expectedBatchSize > 0) || Double.isInfinite(expectedBatchSize)) {
      throw new IllegalArgumentException("expected batch size must be finite and > 0, got " + expectedBatchSize);
    }
    int clipped = noisySum(perExample, rows, out);
    double inv = 1 / expectedBatchSize;
    for (int j = 0; j < out.length; j++) {
      out[j] *= inv;
    }
    return clipped;
  }

  /** The clipped sum without noise (exposed for tests and for the noiseless baseline). */
  int clippedSum(double[][] perExample, int rows, double[] out) {
    if (rows < 0 || rows > perExample.length) {
      throw new IllegalArgumentException("rows must be in [0, " + perExample.length + "], got " + rows);
    }
    java.util.Arrays.fill(out, 0);
    int clipped = 0;
    int d = out.length;
    for (int i = 0; i < rows; i++) {
      double[] g = perExample[i];
      if (g.length != d) {
        throw new IllegalArgumentException("example " + i + " has " + g.length + " parameters, expected " + d);
      }
      double norm;
      try {
        norm = UpdateClipping.clipInto(g, clipNorm, out, true);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("example " + i + " has a non-finite gradient: " + e.getMessage(), e);
      }
      if (norm > clipNorm) {
        clipped++;
      }
    }
    return clipped;
  }
}
