package org.fedtel.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PldAccountantTest {
  @Test
  void gaussianSqrt3ComposedThreeTimesIsUnitGaussian() {
    // VECTORS.md: σ = √3 composed 3 times equals σ = 1; δ(ε = 1) = 0.126936.
    PldAccountant pld = new PldAccountant().composeSampledGaussian(1.0, Math.sqrt(3), 3);
    double d = pld.delta(1.0);
    double exact = GaussianCalibration.delta(1.0, 1.0, 1.0);
    assertEquals(0.126936, exact, 1e-6);
    assertTrue(d >= exact - 1e-12, "pessimistic: " + d + " vs exact " + exact);
    assertTrue(d - exact < 1e-4, "tight: " + d + " vs exact " + exact);
  }

  @Test
  void composedGaussiansMatchExactDeltaCurve() {
    // σ = 2 composed 4 times is σ = 1; δ(ε) is known exactly (Balle & Wang).
    PldAccountant pld = new PldAccountant().composeSampledGaussian(1.0, 2.0, 4);
    for (double eps : new double[] {0.0, 0.5, 1.0, 2.0, 4.0}) {
      double exact = GaussianCalibration.delta(eps, 1.0, 1.0);
      double d = pld.delta(eps);
      assertTrue(d >= exact - 1e-12 && d - exact < 1e-4, "eps=" + eps + ": " + d + " vs " + exact);
    }
  }

  @Test
  void epsilonInvertsDelta() {
    PldAccountant pld = new PldAccountant().composeSampledGaussian(1.0, 1.0, 1);
    double eps = pld.epsilon(1e-5);
    // Analytic Gaussian: the σ for (eps, 1e-5) should be ~1.
    assertEquals(1.0, GaussianCalibration.analyticSigma(eps, 1e-5, 1.0), 2e-3);
  }

  @Test
  void subsampledPldIsTighterThanRdpAndClose() {
    double q = 0.01;
    double z = 1.0;
    long t = 1000;
    double pldEps = new PldAccountant().composeSampledGaussian(q, z, t).epsilon(1e-5);
    double rdpEps = new RdpAccountant().composeSampledGaussian(q, z, t).epsilon(1e-5);
    assertTrue(pldEps < rdpEps, "pld " + pldEps + " rdp " + rdpEps);
    assertTrue(pldEps > 0.6 * rdpEps, "pld " + pldEps + " rdp " + rdpEps);
  }

  @Test
  void coarserGridIsMorePessimistic() {
    double fine = new PldAccountant(1e-4).composeSampledGaussian(0.05, 1.2, 50).delta(1.0);
    double coarse = new PldAccountant(1e-2).composeSampledGaussian(0.05, 1.2, 50).delta(1.0);
    assertTrue(coarse >= fine, coarse + " < " + fine);
  }

  @Test
  void composingInPiecesEqualsAtOnce() {
    double a = new PldAccountant().composeSampledGaussian(0.02, 1.0, 30).delta(0.5);
    double b = new PldAccountant().composeSampledGaussian(0.02, 1.0, 10)
        .composeSampledGaussian(0.02, 1.0, 20).delta(0.5);
    assertEquals(a, b, 1e-9);
  }

  @Test
  void noiseMultiplierInverse() {
    double z = PldAccountant.noiseMultiplierFor(2.0, 1e-5, 0.05, 20, 1e-3);
    assertTrue(new PldAccountant(1e-3).composeSampledGaussian(0.05, z, 20).epsilon(1e-5) <= 2.0);
    assertTrue(new PldAccountant(1e-3).composeSampledGaussian(0.05, z * 0.999, 20).epsilon(1e-5) > 2.0);
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> new PldAccountant(0));
    assertThrows(IllegalArgumentException.class, () -> new PldAccountant().composeSampledGaussian(2, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new PldAccountant().delta(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new PldAccountant().epsilon(0));
  }
}
