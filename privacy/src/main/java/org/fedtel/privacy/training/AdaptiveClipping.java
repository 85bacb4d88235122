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
 *
 * <p>That accounting gives the count sensitivity 1/2 (§3.1), which holds only if each site
 * contributes its indicator centred, b_i − 1/2 ∈ {−1/2, +1/2}: adding or removing one site then moves
 * the noised sum by exactly 1/2, where an uncentred 0/1 count would move it by 1. So
 * {@link #indicator} returns the centred value, the noise goes on Σ(b_i − 1/2), and the fraction is
 * read as b̄ = (Σ(b_i − 1/2) + N(0, σ_b²))/m + 1/2 with m the <em>expected</em> number of sites, a
 * public constant (TF-Privacy's QuantileEstimatorQuery does the same with expected_num_records).
 * The realised number of sites must not be used for m: under add/remove adjacency it is itself
 * private.
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

  /**
   * A site's centred indicator b_i − 1/2: +1/2 if its update norm is within the current clip norm,
   * else −1/2. Sum these (locally or by secure aggregation); never the uncentred 0/1 value.
   */
  public double indicator(double updateNorm) {
    return updateNorm <= clipNorm ? 0.5 : -0.5;
  }

  /**
   * Server side: adds N(0, σ_b²) to the sum of centred indicators {@link #indicator} and updates C.
   *
   * @param expectedSites m, the expected number of sites per round (public; see the class comment)
   */
  public double update(double centredIndicatorSum, double expectedSites, RandomGenerator random) {
    double noisy = new GaussianNoise(random).addNoise(centredIndicatorSum, clippedCountStddev);
    return updateFromNoisySum(noisy, expectedSites);
  }

  /**
   * Updates C from an already-noised sum of centred indicators (e.g. aggregated with distributed
   * noise of std σ_b).
   *
   * @param expectedSites m, the expected number of sites per round (public; see the class comment)
   */
  public double updateFromNoisySum(double noisyCentredIndicatorSum, double expectedSites) {
    if (!(expectedSites > 0) || Double.isInfinite(expectedSites)) {
      throw new IllegalArgumentException("expected sites must be finite and > 0, got " + expectedSites);
    }
    if (!Double.isFinite(noisyCentredIndicatorSum)) {
      throw new IllegalArgumentException("indicator sum is not finite: " + noisyCentredIndicatorSum);
    }
    // Adding back 1/2 (= m/2 on the sum) is post-processing with a public constant.
    double fraction = noisyCentredIndicatorSum / expectedSites + 0.5;
    clipNorm *= Math.exp(-learningRate * (fraction - targetQuantile));
    return clipNorm;
  }

  private static void positive(String name, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(name + " must be finite and > 0, got " + v);
    }
  }
}
