package org.fedtel.privacy.accounting;

/**
 * {@code steps} steps of the Poisson-subsampled Gaussian mechanism: the unit of recorded spend.
 * A {@code local}-mode round is (batch/N, z, local steps); a {@code distributed}-mode round is
 * (site-sampling rate, effective multiplier at the minimum number of survivors, 1).
 */
public record SampledGaussian(double samplingRate, double noiseMultiplier, long steps) {
  public SampledGaussian {
    RdpAccountant.checkSampledGaussian(samplingRate, noiseMultiplier, steps);
  }

  void composeInto(RdpAccountant accountant) {
    accountant.composeSampledGaussian(samplingRate, noiseMultiplier, steps);
  }
}
