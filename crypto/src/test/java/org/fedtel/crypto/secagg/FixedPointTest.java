package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FixedPointTest {
  @Test
  void sumsOfEncodedValuesDecodeToTheSumAtEveryWidth() {
    double[][] sites = {{1.25, -3.5, 0, 1e-7}, {-0.75, 2.0, -1e-3, 0.5}, {0.125, -0.125, 7, -2}};
    for (int bits : new int[] {32, 48, 63, 64}) {
      long mask = bits == 64 ? -1L : (1L << bits) - 1;
      long[] sum = new long[4];
      double[] plain = new double[4];
      for (double[] x : sites) {
        long[] ring = new long[4];
        FixedPoint.encode(x, 1 << 20, bits, ring);
        for (int i = 0; i < 4; i++) {
          sum[i] = (sum[i] + ring[i]) & mask;
          plain[i] += Math.rint(x[i] * (1 << 20)) / (1 << 20);
        }
      }
      double[] decoded = new double[4];
      FixedPoint.decode(sum, 1 << 20, bits, decoded);
      assertArrayEquals(plain, decoded, 0, "bits " + bits);
    }
  }

  @Test
  void negativeValuesAreTwosComplementWithinTheRing() {
    long[] ring = new long[1];
    FixedPoint.encode(new double[] {-1}, 1, 8, ring);
    assertEquals(255, ring[0]);
    double[] back = new double[1];
    FixedPoint.decode(ring, 1, 8, back);
    assertEquals(-1, back[0]);
  }

  @Test
  void aValueThatDoesNotFitIsAnErrorNotAWrap() {
    long[] ring = new long[1];
    assertThrows(IllegalArgumentException.class, () -> FixedPoint.encode(new double[] {128}, 1, 8, ring));
    FixedPoint.encode(new double[] {127}, 1, 8, ring);
    assertThrows(IllegalArgumentException.class, () -> FixedPoint.encode(new double[] {Double.NaN}, 1, 32, ring));
    assertThrows(IllegalArgumentException.class, () -> FixedPoint.encode(new double[] {1}, 0, 32, ring));
    assertThrows(IllegalArgumentException.class, () -> FixedPoint.encode(new double[] {1}, 1, 65, ring));
  }
}
