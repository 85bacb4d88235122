package org.fedtel.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Known-answer vectors from /work/shared/reference/VECTORS.md ("Privacy accounting"). */
class RdpAccountantTest {
  static double[] tfCliOrders() {
    List<Double> o = new ArrayList<>(List.of(1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5));
    for (int a = 5; a <= 63; a++) {
      o.add((double) a);
    }
    o.add(128.0);
    o.add(256.0);
    o.add(512.0);
    return o.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static double[] opacusOrders() {
    List<Double> o = new ArrayList<>();
    for (int x = 11; x <= 109; x++) {
      o.add(x / 10.0);
    }
    for (int a = 12; a <= 63; a++) {
      o.add((double) a);
    }
    return o.stream().mapToDouble(Double::doubleValue).toArray();
  }

  @Test
  void tfPrivacyClassic() {
    RdpAccountant acc = new RdpAccountant(tfCliOrders()).composeSampledGaussian(150.0 / 60000, 1.3, 6000);
    assertEquals(0.941870567, acc.epsilonClassic(1e-5), 0.941870567 * 1e-9);
    assertEquals(19.0, acc.optimalOrderClassic(1e-5));
  }

  @Test
  void tfPrivacyImproved() {
    RdpAccountant acc = new RdpAccountant(tfCliOrders()).composeSampledGaussian(150.0 / 60000, 1.3, 6000);
    assertEquals(0.7242234026109595, acc.epsilon(1e-5), 0.7242234026109595 * 1e-9);
    assertEquals(19.0, acc.optimalOrder(1e-5));
  }

  @Test
  void opacusImproved() {
    RdpAccountant acc = new RdpAccountant(opacusOrders()).composeSampledGaussian(0.04, 1.5, 2250);
    assertEquals(7.32911117143, acc.epsilon(1e-5), 7.32911117143 * 1e-4);
  }

  @Test
  void mnistTutorialClassic() {
    RdpAccountant acc = new RdpAccountant(opacusOrders()).composeSampledGaussian(256.0 / 60000, 1.1, 14040);
    assertEquals(3.01, acc.epsilonClassic(1e-5), 0.005);
  }

  @Test
  void abadiMomentsAccountant() {
    double[] orders = new double[32];
    for (int i = 0; i < 32; i++) {
      orders[i] = i + 2;
    }
    RdpAccountant acc = new RdpAccountant(orders).composeSampledGaussian(0.01, 4, 10000);
    assertEquals(1.26, acc.epsilonClassic(1e-5), 0.01);
  }

  @Test
  void defaultOrdersMatchVectors() {
    double[] o = RdpAccountant.defaultOrders();
    assertEquals(99 + 53 + 4, o.length);
    assertEquals(1.1, o[0]);
    assertEquals(10.9, o[98], 1e-12);
    assertEquals(11.0, o[99]);
    assertEquals(63.0, o[151]);
    assertEquals(1024.0, o[o.length - 1]);
    o[0] = 99; // a copy
    assertEquals(1.1, RdpAccountant.defaultOrders()[0]);
  }

  @Test
  void fractionalSeriesAgreesWithIntegerSumAtIntegerOrders() {
    for (double q : new double[] {0.001, 0.01, 0.1, 0.5}) {
      for (double z : new double[] {0.7, 1.1, 4}) {
        for (int a : new int[] {2, 3, 7, 32}) {
          double exact = RdpAccountant.logAInt(q, z, a);
          // The series evaluated just off the integer converges to the same value.
          double near = RdpAccountant.logAFrac(q, z, a + 1e-9);
          assertEquals(exact, near, 1e-6 * Math.max(1, Math.abs(exact)), "q=" + q + " z=" + z + " a=" + a);
        }
      }
    }
  }

  /** Slow reference: A_α = ∫ μ0(x) (μ(x)/μ0(x))^α dx by Simpson's rule, μ = (1−q)μ0 + qμ1. */
  private static double logAByIntegration(double q, double sigma, double alpha) {
    int n = 400_000;
    double lo = -30 * sigma;
    double hi = 30 * sigma + 1;
    double h = (hi - lo) / n;
    double sum = 0;
    for (int i = 0; i <= n; i++) {
      double x = lo + i * h;
      double log0 = -x * x / (2 * sigma * sigma);
      double ratio = (1 - q) + q * Math.exp((2 * x - 1) / (2 * sigma * sigma));
      double f = Math.exp(log0 + alpha * Math.log(ratio)) / (sigma * Math.sqrt(2 * Math.PI));
      sum += f * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
    }
    return Math.log(sum * h / 3);
  }

  @Test
  void seriesAgreeWithNumericalIntegration() {
    for (double q : new double[] {0.01, 0.2}) {
      for (double z : new double[] {0.8, 2.0}) {
        for (double a : new double[] {1.5, 2.0, 3.7, 8.0, 12.25}) {
          double fast = a == Math.rint(a) ? RdpAccountant.logAInt(q, z, (int) a) : RdpAccountant.logAFrac(q, z, a);
          double slow = logAByIntegration(q, z, a);
          assertEquals(slow, fast, 1e-8 * Math.max(1, Math.abs(slow)), "q=" + q + " z=" + z + " a=" + a);
        }
      }
    }
  }

  @Test
  void fullBatchIsPlainGaussian() {
    assertEquals(3.0 / 2, RdpAccountant.sampledGaussianRdp(1.0, 1.0, 3.0));
    assertEquals(0, RdpAccountant.sampledGaussianRdp(0.0, 1.0, 3.0));
    assertEquals(Double.POSITIVE_INFINITY, RdpAccountant.sampledGaussianRdp(0.5, 0.0, 3.0));
  }

  @Test
  void monotone() {
    double e = eps(0.01, 1.0, 1000);
    assertTrue(eps(0.01, 1.2, 1000) < e);
    assertTrue(eps(0.01, 1.0, 2000) > e);
    assertTrue(eps(0.02, 1.0, 1000) > e);
  }

  @Test
  void compositionIsAdditive() {
    RdpAccountant a = new RdpAccountant().composeSampledGaussian(0.01, 1, 300);
    RdpAccountant b = new RdpAccountant().composeSampledGaussian(0.01, 1, 100)
        .composeSampledGaussian(0.01, 1, 200);
    assertEquals(a.epsilon(1e-5), b.epsilon(1e-5), 1e-12);
    RdpAccountant c = new RdpAccountant().composeSampledGaussian(0.01, 1, 100)
        .compose(new RdpAccountant().composeSampledGaussian(0.01, 1, 200));
    assertEquals(a.epsilon(1e-5), c.epsilon(1e-5), 1e-12);
  }

  @Test
  void noiseMultiplierInverse() {
    double z = RdpAccountant.noiseMultiplierFor(1.0, 1e-5, 0.01, 1000);
    assertTrue(eps(0.01, z, 1000) <= 1.0);
    assertTrue(eps(0.01, z * (1 - 1e-4), 1000) > 1.0);
  }

  @Test
  void adaptiveClippingEffectiveMultiplier() {
    // Andrew et al. 2021: z = 1 with σ_b = m/20 for m = 100 sites: z_Δ = (1 − (2·5)⁻²)^(−1/2).
    double zDelta = 1 / Math.sqrt(1 - 1.0 / 100);
    assertEquals(1.0, RdpAccountant.adaptiveClippingNoiseMultiplier(zDelta, 5), 1e-12);
  }

  @Test
  void rejectsBadInput() {
    RdpAccountant acc = new RdpAccountant();
    assertThrows(IllegalArgumentException.class, () -> acc.composeSampledGaussian(1.5, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> acc.composeSampledGaussian(Double.NaN, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> acc.composeSampledGaussian(0.1, -1, 1));
    assertThrows(IllegalArgumentException.class, () -> acc.composeSampledGaussian(0.1, Double.POSITIVE_INFINITY, 1));
    assertThrows(IllegalArgumentException.class, () -> acc.composeSampledGaussian(0.1, 1, -1));
    assertThrows(IllegalArgumentException.class, () -> acc.epsilon(0));
    assertThrows(IllegalArgumentException.class, () -> acc.epsilon(1));
    assertThrows(IllegalArgumentException.class, () -> acc.epsilon(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new RdpAccountant(new double[] {1.0}));
    assertThrows(IllegalArgumentException.class, () -> new RdpAccountant(new double[0]));
  }

  @Test
  void hugeNoiseMultipliersAccountNotThrow() {
    // z ≳ 3e7: half of the fractional series has terms near e^(−1e15) whose logs' rounding exceeds
    // their differences, and logSub threw "result would be negative". z ≳ 1e154: σ² overflowed, so
    // z0 = σ²·ln(1/q − 1) was ∞·0 = NaN at q = 1/2 and the series never converged.
    for (double q : new double[] {0.5, 0.01, 0.999}) {
      double previous = Double.POSITIVE_INFINITY;
      for (double z : new double[] {1e4, 3e7, 1e8, 1e12, 1e100, 1e160, Double.MAX_VALUE}) {
        // A few orders of each kind: at q = 1/2 and α near 1 the series runs ~10^5 terms.
        RdpAccountant acc = new RdpAccountant(new double[] {1.1, 1.5, 2, 2.5, 10.9, 32, 1024})
            .composeSampledGaussian(q, z, 1);
        double[] orders = acc.orders();
        double[] rdp = acc.rdp();
        for (int i = 0; i < orders.length; i++) {
          // 0 ≤ RDP ≤ α/(2z²), the unsampled Gaussian's.
          assertTrue(rdp[i] >= 0 && rdp[i] <= orders[i] / (2 * z * z), "q=" + q + " z=" + z + " a=" + orders[i]);
        }
        double e = acc.epsilon(1e-5);
        assertTrue(e >= 0 && e <= previous, "q=" + q + " z=" + z + " eps=" + e);
        previous = e;
      }
      assertEquals(0, previous, "z = MAX_VALUE costs nothing measurable");
    }
  }

  @Test
  void vanishingNoiseMultipliersCostInfinity() {
    // z ≲ 1e-155: 2z² underflowed to 0, every term was 0/0 or ∞, and the series ran 10^6
    // iterations before throwing. The RDP there is above 1e289 at every order: +∞, as at z = 0.
    for (double z : new double[] {1e-150, 1e-155, 1e-160, Double.MIN_VALUE}) {
      for (double q : new double[] {1e-6, 0.01, 0.5, 1}) {
        RdpAccountant acc = new RdpAccountant().composeSampledGaussian(q, z, 1);
        for (double r : acc.rdp()) {
          assertEquals(Double.POSITIVE_INFINITY, r, "q=" + q + " z=" + z);
        }
        assertEquals(Double.POSITIVE_INFINITY, acc.epsilon(1e-5));
      }
    }
    // Just above the cut the series is still evaluated, and is astronomically large.
    assertTrue(RdpAccountant.sampledGaussianRdp(0.01, 1e-140, 1.1) > 1e279);
    assertTrue(RdpAccountant.sampledGaussianRdp(0.01, 1e-140, 2.0) > 1e279);
  }

  @Test
  void ordersAreCappedAt2To20() {
    // Orders above 2^31 threw; integer orders near 2^31 summed for minutes.
    for (double bad : new double[] {RdpAccountant.MAX_ORDER + 1, 3e9, 1e300, Double.POSITIVE_INFINITY, Double.NaN}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new RdpAccountant(new double[] {bad}));
      assertTrue(e.getMessage().contains("2^20"), e.getMessage());
    }
    double max = RdpAccountant.MAX_ORDER;
    // The largest orders still work, integer and fractional, at a sampling rate near 1 where the
    // fractional series runs longest (its terms collapse just past i = α).
    RdpAccountant acc = new RdpAccountant(new double[] {max, max - 0.5}).composeSampledGaussian(0.999, 1000, 1);
    double[] rdp = acc.rdp();
    assertEquals(max / 2e6, rdp[0], max / 2e6 * 0.01);
    assertEquals((max - 0.5) / 2e6, rdp[1], max / 2e6 * 0.01);
  }

  private static double eps(double q, double z, long t) {
    return new RdpAccountant().composeSampledGaussian(q, z, t).epsilon(1e-5);
  }
}
