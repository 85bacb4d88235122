package org.fedtel.privacy.accounting;

/**
 * {@code steps} steps of the Poisson-subsampled Gaussian mechanism: the unit of recorded spend.
 * A {@code local}-mode round is (batch/N, z, local steps); a {@code distributed}-mode round is
 * (1, effective multiplier at the minimum number of survivors, 1): the coordinator and the site both
 * charge it at sampling rate 1, claiming no amplification by the coordinator's sampling of sites,
 * which a site cannot verify (docs/FEDERATION.md, "Privacy accounting and budgets").
 */
public record SampledGaussian(double samplingRate, double noiseMultiplier, long steps) {
  public SampledGaussian {
    RdpAccountant.checkSampledGaussian(samplingRate, noiseMultiplier, steps);
  }

  void composeInto(RdpAccountant accountant) {
    accountant.composeSampledGaussian(samplingRate, noiseMultiplier, steps);
  }
}
