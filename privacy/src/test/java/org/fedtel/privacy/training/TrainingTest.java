package org.fedtel.privacy.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.junit.jupiter.api.Test;

class TrainingTest {
  private static double[][] gradients(int rows, int d, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] g = new double[rows][d];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < d; j++) {
        g[i][j] = r.nextGaussian() * (i % 3 + 0.2);
      }
    }
    return g;
  }

  @Test
  void clippedSumMatchesSlowReference() {
    double[][] g = gradients(50, 7, 1);
    DpSgd sgd = new DpSgd(1.5, 1.0, new SplittableRandom(1));
    double[] out = new double[7];
    int clipped = sgd.clippedSum(g, 40, out);
    double[] ref = new double[7];
    int refClipped = 0;
    for (int i = 0; i < 40; i++) {
      double[] row = g[i].clone();
      double norm = UpdateClipping.clipInPlace(row, 1.5);
      if (norm > 1.5) {
        refClipped++;
      }
      assertTrue(UpdateClipping.l2Norm(row) <= 1.5 + 1e-12);
      for (int j = 0; j < 7; j++) {
        ref[j] += row[j];
      }
    }
    assertEquals(refClipped, clipped);
    assertTrue(clipped > 0 && clipped < 40);
    for (int j = 0; j < 7; j++) {
      assertEquals(ref[j], out[j], 1e-12);
    }
  }

  @Test
  void everyFiniteVectorClipsCorrectly() {
    // Σx² overflows for |x| > 1.3e154: the norm was ∞ and the update was scaled by C/∞ = 0.
    double[] big = {1e200, 1e200};
    assertEquals(Math.sqrt(2) * 1e200, UpdateClipping.clipInPlace(big, 1), 1e186);
    assertEquals(Math.sqrt(0.5), big[0], 1e-15);
    assertEquals(Math.sqrt(0.5), big[1], 1e-15);
    double[] max = {Double.MAX_VALUE, -Double.MAX_VALUE};
    assertEquals(Double.POSITIVE_INFINITY, UpdateClipping.clipInPlace(max, 2), "the true norm is not representable");
    assertEquals(Math.sqrt(2), max[0], 1e-15);
    assertEquals(-Math.sqrt(2), max[1], 1e-15);
    // Squares underflow to 0 for |x| < 1e-162: the norm was 0 and nothing was clipped.
    double[] tiny = {3e-200, 4e-200};
    assertEquals(5e-200, UpdateClipping.l2Norm(tiny), 1e-214);
    UpdateClipping.clipInPlace(tiny, 1e-200);
    assertEquals(0.6e-200, tiny[0], 1e-214);
    assertEquals(0.8e-200, tiny[1], 1e-214);
    double[] zero = {0, 0};
    assertEquals(0, UpdateClipping.clipInPlace(zero, 1));
    assertEquals(0, zero[0]);
    assertThrows(IllegalArgumentException.class, () -> UpdateClipping.l2Norm(new double[] {1e200, Double.NaN}));
    assertThrows(IllegalArgumentException.class, () -> UpdateClipping.clipInPlace(new double[] {Double.NEGATIVE_INFINITY}, 1));
  }

  @Test
  void l2NormMatchesHypotAcrossTheExponentRange() {
    SplittableRandom r = new SplittableRandom(11);
    for (int t = 0; t < 2000; t++) {
      double[] v = new double[1 + r.nextInt(20)];
      double scale = Math.pow(10, r.nextInt(-300, 301));
      double ref = 0; // Math.hypot neither overflows nor underflows: the slow reference
      for (int i = 0; i < v.length; i++) {
        v[i] = r.nextGaussian() * scale;
        ref = Math.hypot(ref, v[i]);
      }
      assertEquals(ref, UpdateClipping.l2Norm(v), ref * 1e-13, "scale " + scale);
      double clip = ref * r.nextDouble(0.1, 2);
      double norm = UpdateClipping.clipInPlace(v, clip);
      assertEquals(ref, norm, ref * 1e-13);
      assertEquals(Math.min(ref, clip), UpdateClipping.l2Norm(v), Math.min(ref, clip) * 1e-13);
    }
  }

  @Test
  void dpSgdClipsHugeFiniteGradients() {
    DpSgd sgd = new DpSgd(1.5, 1.0, new SplittableRandom(1));
    double[] out = new double[2];
    // Σg² = 1e310 overflowed: the finite gradient was rejected as "non-finite".
    assertEquals(1, sgd.clippedSum(new double[][] {{1e155, 0}, {0, 1e-300}}, 2, out));
    assertEquals(1.5, out[0], 1e-15);
    assertEquals(1e-300, out[1], 1e-315);
  }

  @Test
  void noiseHasStdZTimesC() {
    int d = 20_000;
    double[][] zero = new double[1][d];
    DpSgd sgd = new DpSgd(2.0, 1.5, new SplittableRandom(2));
    double[] out = new double[d];
    sgd.noisySum(zero, 1, out);
    double s = 0;
    double sq = 0;
    for (double x : out) {
      s += x;
      sq += x * x;
    }
    double mean = s / d;
    double std = Math.sqrt(sq / d - mean * mean);
    assertEquals(3.0, std, 3.0 * 4 / Math.sqrt(2 * d)); // 4 standard errors of a std estimate
    assertEquals(0, mean, 4 * 3.0 / Math.sqrt(d));
  }

  @Test
  void noisyMeanDividesByExpectedBatch() {
    double[][] g = gradients(10, 3, 3);
    DpSgd a = new DpSgd(1, 1, new SplittableRandom(4));
    DpSgd b = new DpSgd(1, 1, new SplittableRandom(4));
    double[] sum = new double[3];
    double[] mean = new double[3];
    a.noisySum(g, 10, sum);
    b.noisyMean(g, 10, 8.0, mean);
    for (int j = 0; j < 3; j++) {
      assertEquals(sum[j] / 8, mean[j], 1e-12);
    }
  }

  @Test
  void dpSgdRejectsBadInput() {
    DpSgd sgd = new DpSgd(1, 1, new SplittableRandom(1));
    assertThrows(IllegalArgumentException.class, () -> sgd.noisySum(new double[][] {{1, 2}}, 1, new double[3]));
    assertThrows(IllegalArgumentException.class, () -> sgd.noisySum(new double[][] {{1, Double.NaN}}, 1, new double[2]));
    assertThrows(IllegalArgumentException.class, () -> sgd.noisySum(new double[][] {{1, 2}}, 2, new double[2]));
    assertThrows(IllegalArgumentException.class, () -> new DpSgd(0, 1, new SplittableRandom(1)));
    assertThrows(IllegalArgumentException.class, () -> new DpSgd(1, Double.NaN, new SplittableRandom(1)));
  }

  @Test
  void adaptiveClippingTracksTheTargetQuantile() {
    // Update norms ~ |N(0, 1)| · 3; the median of such norms is 3·0.6745.
    AdaptiveClipping ac = new AdaptiveClipping(0.1, 0.5, 0.2, 10, 1.0);
    SplittableRandom data = new SplittableRandom(5);
    SplittableRandom noise = new SplittableRandom(6);
    int sites = 200;
    for (int round = 0; round < 300; round++) {
      double sum = 0;
      for (int i = 0; i < sites; i++) {
        sum += ac.indicator(Math.abs(data.nextGaussian()) * 3);
      }
      ac.update(sum, sites, noise);
    }
    assertEquals(3 * 0.6745, ac.clipNorm(), 0.25);
    assertEquals(1.0, RdpAccountant.adaptiveClippingNoiseMultiplier(ac.updateNoiseMultiplier(), 10), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> new AdaptiveClipping(1, 0.5, 0.2, 0.4, 1.0));
  }

  @Test
  void removingOneSiteMovesTheNoisedCountByOneHalf() {
    // composeAdaptiveClipping gives the clipped count sensitivity 1/2 (Andrew et al. 2021, §3.1): one
    // site's presence may move the noised count by 1/2, not by 1 as an uncentred 0/1 count would.
    double eta = 0.2;
    int m = 100;
    SplittableRandom data = new SplittableRandom(9);
    double[] norms = new double[m];
    for (int i = 0; i < m; i++) {
      norms[i] = Math.abs(data.nextGaussian());
    }
    int inside = -1;
    int outside = -1;
    for (int i = 0; i < m; i++) {
      if (norms[i] <= 1.0 && inside < 0) {
        inside = i;
      } else if (norms[i] > 1.0 && outside < 0) {
        outside = i;
      }
    }
    for (int removed : new int[] {inside, outside}) {
      AdaptiveClipping with = new AdaptiveClipping(1.0, 0.5, eta, 0.51, 1.0);
      AdaptiveClipping without = new AdaptiveClipping(1.0, 0.5, eta, 0.51, 1.0);
      double sumWith = 0;
      double sumWithout = 0;
      for (int i = 0; i < m; i++) {
        double b = with.indicator(norms[i]);
        sumWith += b;
        if (i != removed) {
          sumWithout += b;
        }
      }
      // Same noise draw for both; C' = C·exp(−η(noisy/m + const)), so the noised sums differ by
      // m·ln(C'_without/C'_with)/η.
      double cWith = with.update(sumWith, m, new SplittableRandom(1));
      double cWithout = without.update(sumWithout, m, new SplittableRandom(1));
      assertEquals(0.5, Math.abs(m * Math.log(cWithout / cWith) / eta), 1e-9, "removed site " + removed);
    }
  }

  @Test
  void distributedDpRoundTripWithDropouts() {
    int d = 100;
    int sites = 10;
    int minSurvivors = 7;
    double clip = 1.0;
    DistributedDp ddp = DistributedDp.configure(sites, minSurvivors, d, clip, 1.0, 32, 77);
    assertEquals(128, ddp.encodedLength());
    SplittableRandom data = new SplittableRandom(8);
    double[][] updates = new double[sites][d];
    for (int i = 0; i < sites; i++) {
      for (int j = 0; j < d; j++) {
        updates[i][j] = data.nextGaussian() * 0.05 + 0.02;
      }
    }
    long[] sum = new long[128];
    double[] expected = new double[d];
    long mask = (1L << 32) - 1;
    for (int i = 0; i < minSurvivors; i++) { // three sites drop out
      long[] enc = new long[128];
      ddp.encode(updates[i], new SplittableRandom(100 + i), enc);
      for (long v : enc) {
        assertTrue(v >= 0 && v <= mask, "encoding must lie in the ring");
      }
      for (int j = 0; j < 128; j++) {
        sum[j] = (sum[j] + enc[j]) & mask;
      }
      double[] clipped = updates[i].clone();
      UpdateClipping.clipInPlace(clipped, clip);
      for (int j = 0; j < d; j++) {
        expected[j] += clipped[j];
      }
    }
    double[] out = new double[d];
    ddp.decodeSum(sum, out);
    double err2 = 0;
    for (int j = 0; j < d; j++) {
      err2 += (out[j] - expected[j]) * (out[j] - expected[j]);
    }
    double rmse = Math.sqrt(err2 / d);
    // Noise std z·c = 1 at n_min survivors, plus negligible rounding error.
    double target = ddp.aggregateNoiseStddev();
    assertEquals(1.0, target, 1e-6);
    assertEquals(target, rmse, 0.3 * target);
    // The effective multiplier is close to z (rounding inflates Δ₂ a little) and never above it.
    assertTrue(ddp.effectiveNoiseMultiplier() < 1.0 && ddp.effectiveNoiseMultiplier() > 0.95,
        "z_eff=" + ddp.effectiveNoiseMultiplier());
  }

  @Test
  void distributedDpWithoutNoiseIsNotAllowedAndBadShapesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> DistributedDp.configure(5, 6, 10, 1, 1, 32, 1));
    assertThrows(IllegalArgumentException.class, () -> DistributedDp.configure(5, 3, 10, 1, 1, 65, 1));
    assertThrows(IllegalArgumentException.class, () -> DistributedDp.configure(1000, 3, 10, 1, 1e-6, 8, 1));
    DistributedDp ddp = DistributedDp.configure(5, 3, 10, 1, 1, 32, 1);
    assertThrows(IllegalArgumentException.class, () -> ddp.encode(new double[9], new SplittableRandom(1), new long[16]));
    assertThrows(IllegalArgumentException.class, () -> ddp.encode(new double[10], new SplittableRandom(1), new long[10]));
    assertThrows(IllegalArgumentException.class, () -> ddp.decodeSum(new long[15], new double[10]));
  }

  @Test
  void hadamardIsOrthonormalAndInvertible() {
    SplittableRandom r = new SplittableRandom(9);
    double[] x = new double[64];
    byte[] signs = new byte[64];
    for (int i = 0; i < 64; i++) {
      x[i] = r.nextGaussian();
      signs[i] = (byte) (r.nextBoolean() ? 1 : -1);
    }
    double[] y = x.clone();
    Hadamard.forward(y, signs);
    assertEquals(UpdateClipping.l2Norm(x), UpdateClipping.l2Norm(y), 1e-12);
    Hadamard.inverse(y, signs);
    for (int i = 0; i < 64; i++) {
      assertEquals(x[i], y[i], 1e-12);
    }
  }
}
