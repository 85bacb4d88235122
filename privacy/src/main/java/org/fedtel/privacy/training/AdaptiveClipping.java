package org.fedtel.privacy.training;

import java.util.random.RandomGenerator;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.fedtel.privacy.noise.GaussianNoise;

/**
 * Adaptive clipping for DP-FedAvg (Andrew, Thakkar, McMahan &amp; Ramaswamy, "Differentially Private
 * Learning with Adaptive Clipping", NeurIPS 2021, Algorithm 1): the clip norm tracks the γ-quantile
 * of update norms by the geometric rule C ← C·exp(−η(b̄ − γ)), where b̄ is the noisy fraction of sites
 * whose update norm was ≤ C. The count gets Gaussian noise σ_b; the update noise multiplier is
 * reduced to z_Δ = (z⁻² − (2σ_b)⁻²)^(−1/2) so that the joint release costs exactly a Gaussian
 * mechanism with multiplier z (account with {@link RdpAccountant#composeAdaptiveClipping}).
 */
public final class AdaptiveClipping {
  private final double targetQuantile;
  private final double learningRate;
  private final double clippedCountStddev;
  private final double noiseMultiplier;
  private double clipNorm;

  /**
   * @param noiseMultiplier the total multiplier z the round is accounted at
   * @param clippedCountStddev σ_b; must satisfy 2σ_b &gt; z
   */
  public AdaptiveClipping(double initialClipNorm, double targetQuantile, double learningRate,
      double clippedCountStddev, double noiseMultiplier) {
    positive("initial clip norm", initialClipNorm);
    if (!(targetQuantile > 0 && targetQuantile < 1)) {
      throw new IllegalArgumentException("target quantile must be in (0, 1), got " + targetQuantile);
    }
    positive("learning rate", learningRate);
    positive("clipped-count stddev", clippedCountStddev);
    positive("noise multiplier", noiseMultiplier);
    if (!(2 * clippedCountStddev > noiseMultiplier)) {
      throw new IllegalArgumentException("need 2*clippedCountStddev > noiseMultiplier (Andrew et al. 2021), got "
          + clippedCountStddev + " and " + noiseMultiplier);
    }
    this.clipNorm = initialClipNorm;
    this.targetQuantile = targetQuantile;
    this.learningRate = learningRate;
    this.clippedCountStddev = clippedCountStddev;
    this.noiseMultiplier = noiseMultiplier;
  }

  public double clipNorm() {
    return clipNorm;
  }

  /** z_Δ: the multiplier for the noise on the sum of clipped updates (std z_Δ·C). */
  public double updateNoiseMultiplier() {
    double inv = 1 / (noiseMultiplier * noiseMultiplier) - 1 / (4 * clippedCountStddev * clippedCountStddev);
    double zDelta = 1 / Math.sqrt(inv);
    // Round-trip check against the accountant's definition of the joint mechanism.
    assert Math.abs(RdpAccountant.adaptiveClippingNoiseMultiplier(zDelta, clippedCountStddev) - noiseMultiplier)
        < 1e-9 * noiseMultiplier;
    return zDelta;
  }

  public double clippedCountStddev() {
    return clippedCountStddev;
  }

  /** A site's indicator: 1 if its update norm is within the current clip norm, else 0. */
  public double indicator(double updateNorm) {
    return updateNorm <= clipNorm ? 1 : 0;
  }

  /** Server side: adds N(0, σ_b²) to the sum of indicators of {@code sites} sites and updates C. */
  public double update(double indicatorSum, int sites, RandomGenerator random) {
    double noisy = new GaussianNoise(random).addNoise(indicatorSum, clippedCountStddev);
    return updateFromNoisySum(noisy, sites);
  }

  /** Updates C from an already-noised indicator sum (e.g. aggregated with distributed noise). */
  public double updateFromNoisySum(double noisyIndicatorSum, int sites) {
    if (sites < 1) {
      throw new IllegalArgumentException("sites must be >= 1, got " + sites);
    }
    if (!Double.isFinite(noisyIndicatorSum)) {
      throw new IllegalArgumentException("indicator sum is not finite: " + noisyIndicatorSum);
    }
    double fraction = noisyIndicatorSum / sites;
    clipNorm *= Math.exp(-learningRate * (fraction - targetQuantile));
    return clipNorm;
  }

  private static void positive(String name, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
    }
  }
}
