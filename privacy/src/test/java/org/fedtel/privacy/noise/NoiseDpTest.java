package org.fedtel.privacy.noise;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.fedtel.privacy.accounting.GaussianCalibration;
import org.fedtel.privacy.testing.DpTester;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Statistical DP tests: δ̂ on neighbouring inputs 0 and Δ = 1 (both directions) must stay below the
 * claimed δ plus a sampling tolerance; the same test must reject the mechanism with half the noise.
 */
class NoiseDpTest {
  static final int N = 100_000;
  static final double TOLERANCE = 0.02;

  static double[] draw(int n, DoubleSupplier s) {
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = s.getAsDouble();
    }
    return out;
  }

  static void laplace(int n, double tolerance) {
    double eps = 1.0;
    LaplaceNoise ok = new LaplaceNoise(new SplittableRandom(11));
    double[] a = draw(n, () -> ok.addNoise(0.0, 1.0, eps));
    double[] b = draw(n, () -> ok.addNoise(1.0, 1.0, eps));
    double good = DpTester.deltaHat(a, b, eps, -6, 7, 26);
    assertTrue(good <= tolerance, "Laplace delta-hat " + good);
    LaplaceNoise half = new LaplaceNoise(new SplittableRandom(12));
    double[] c = draw(n, () -> half.addNoise(0.0, 0.5, eps));
    double[] d = draw(n, () -> half.addNoise(1.0, 0.5, eps));
    double bad = DpTester.deltaHat(c, d, eps, -6, 7, 26);
    assertTrue(bad > tolerance, "negative control must be rejected, delta-hat " + bad);
  }

  static void gaussian(int n, double tolerance) {
    double eps = 1.0;
    double delta = 1e-3;
    double sigma = GaussianCalibration.analyticSigma(eps, delta, 1.0);
    GaussianNoise ok = new GaussianNoise(new SplittableRandom(13));
    double[] a = draw(n, () -> ok.addNoise(0.0, sigma));
    double[] b = draw(n, () -> ok.addNoise(1.0, sigma));
    double good = DpTester.deltaHat(a, b, eps, -4 * sigma, 4 * sigma + 1, 30);
    assertTrue(good <= delta + tolerance, "Gaussian delta-hat " + good);
    GaussianNoise half = new GaussianNoise(new SplittableRandom(14));
    double[] c = draw(n, () -> half.addNoise(0.0, sigma / 2));
    double[] d = draw(n, () -> half.addNoise(1.0, sigma / 2));
    double bad = DpTester.deltaHat(c, d, eps, -4 * sigma, 4 * sigma + 1, 30);
    assertTrue(bad > delta + tolerance, "negative control must be rejected, delta-hat " + bad);
  }

  static void discreteGaussian(int n, double tolerance) {
    double eps = 1.0;
    double delta = 1e-3;
    double sigma = GaussianCalibration.analyticSigma(eps, delta, 1.0);
    DiscreteGaussian ok = new DiscreteGaussian(new SplittableRandom(15), sigma);
    double[] a = draw(n, () -> ok.sample());
    double[] b = draw(n, () -> 1 + ok.sample());
    int r = (int) Math.ceil(4 * sigma);
    double good = DpTester.deltaHat(a, b, eps, -r - 0.5, r + 1.5, 2 * r + 2);
    assertTrue(good <= delta + tolerance, "discrete Gaussian delta-hat " + good);
    DiscreteGaussian half = new DiscreteGaussian(new SplittableRandom(16), sigma / 2);
    double[] c = draw(n, () -> half.sample());
    double[] d = draw(n, () -> 1 + half.sample());
    double bad = DpTester.deltaHat(c, d, eps, -r - 0.5, r + 1.5, 2 * r + 2);
    assertTrue(bad > delta + tolerance, "negative control must be rejected, delta-hat " + bad);
  }

  @Test
  void laplace() {
    laplace(N, TOLERANCE);
  }

  @Test
  void gaussian() {
    gaussian(N, TOLERANCE);
  }

  @Test
  void discreteGaussian() {
    discreteGaussian(N, TOLERANCE);
  }

  @Test
  @Tag("heavy")
  void largeRuns() {
    laplace(2_000_000, 0.005);
    gaussian(2_000_000, 0.005);
    discreteGaussian(2_000_000, 0.005);
  }
}
