package org.fedtel.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** VECTORS.md "Gaussian mechanism calibration". */
class GaussianCalibrationTest {
  @Test
  void analyticSigmaVectors() {
    assertEquals(3.42466, GaussianCalibration.analyticSigma(Math.log(3), 1e-5, 1), 5e-6);
    assertEquals(3.73063, GaussianCalibration.analyticSigma(1.0, 1e-5, 1), 5e-6);
  }

  @Test
  void classicSigmaVectors() {
    assertEquals(4.40993, GaussianCalibration.classicSigma(Math.log(3), 1e-5, 1), 5e-6);
    assertEquals(4.84481, GaussianCalibration.classicSigma(1.0, 1e-5, 1), 5e-6);
  }

  @Test
  void exactDeltaOfUnitGaussian() {
    // σ = 1 (= σ √3 composed three times): δ(ε = 1) = 0.126936.
    assertEquals(0.126936, GaussianCalibration.delta(1.0, 1.0, 1.0), 1e-6);
  }

  @Test
  void sigmaScalesWithSensitivity() {
    double s1 = GaussianCalibration.analyticSigma(0.5, 1e-6, 1);
    assertEquals(3 * s1, GaussianCalibration.analyticSigma(0.5, 1e-6, 3), 1e-9 * s1);
    assertTrue(GaussianCalibration.delta(0.5, s1, 1) <= 1e-6);
    assertTrue(GaussianCalibration.delta(0.5, s1 * (1 - 1e-9), 1) > 1e-6 * (1 - 1e-6));
  }

  @Test
  void zcdp() {
    double rho = GaussianCalibration.zcdpRho(2, 1);
    assertEquals(0.125, rho, 1e-15);
    assertEquals(2, GaussianCalibration.zcdpSigma(rho, 1), 1e-12);
    assertEquals(0.125 + 2 * Math.sqrt(0.125 * Math.log(1e5)), GaussianCalibration.zcdpEpsilon(rho, 1e-5), 1e-12);
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> GaussianCalibration.analyticSigma(0, 1e-5, 1));
    assertThrows(IllegalArgumentException.class, () -> GaussianCalibration.analyticSigma(1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> GaussianCalibration.analyticSigma(1, 1e-5, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> GaussianCalibration.delta(-1, 1, 1));
  }
}
