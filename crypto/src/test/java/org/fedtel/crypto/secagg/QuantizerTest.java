package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QuantizerTest {
  private static SecureRandom rnd(String l) {
    return Federation.seeded(1, l);
  }

  @Test
  void validation() {
    assertThrows(IllegalArgumentException.class, () -> new Quantizer(1, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Quantizer(65, 1, 1));
    assertThrows(IllegalArgumentException.class, () -> new Quantizer(32, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> new Quantizer(32, Double.NaN, 1));
    assertThrows(IllegalArgumentException.class, () -> new Quantizer(32, Double.POSITIVE_INFINITY, 1));
    assertThrows(IllegalArgumentException.class, () -> new Quantizer(32, 1, 0));
    IllegalArgumentException tooSmall = assertThrows(IllegalArgumentException.class,
        () -> new Quantizer(8, 1, 200));
    assertTrue(tooSmall.getMessage().contains("too small"), tooSmall.getMessage());
    // A clip bound so small that the scale overflows to +∞ (every nonzero input would encode as
    // garbage) is refused; a small one with a finite scale still round-trips.
    IllegalArgumentException infinite = assertThrows(IllegalArgumentException.class,
        () -> new Quantizer(32, 1e-300, 1));
    assertTrue(infinite.getMessage().contains("1.0E-300"), infinite.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Quantizer(64, Double.MIN_VALUE, 1));
    Quantizer tiny = new Quantizer(32, 1e-290, 1);
    assertEquals(-1e-290, tiny.decodeSum(tiny.encode(new double[] {-1e-290}, rnd("t")))[0], 1e-299);
    Quantizer q = new Quantizer(32, 1, 10);
    for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
      assertThrows(IllegalArgumentException.class, () -> q.encode(new double[] {0, bad}, rnd("x")));
    }
    assertThrows(IllegalArgumentException.class, () -> q.sumErrorBound(11, 0.01));
    assertThrows(IllegalArgumentException.class, () -> q.sumErrorBound(5, 0));
  }

  /** n sites all at +c (or −c) fill the ring's half without wrapping, for every width. */
  @Test
  void extremeSumsDoNotWrap() {
    for (int bits : new int[] {4, 8, 16, 32, 53, 63, 64}) {
      int n = bits <= 8 ? 1 : 7;
      Quantizer q = new Quantizer(bits, 2.5, n);
      long mask = bits == 64 ? -1L : (1L << bits) - 1;
      for (double v : new double[] {2.5, -2.5, 1e300, -1e300}) {
        long[] sum = new long[1];
        for (int i = 0; i < n; i++) {
          sum[0] += q.encode(new double[] {v}, rnd("e" + i))[0];
        }
        sum[0] &= mask;
        double got = q.decodeSum(sum)[0];
        double want = n * Math.signum(v) * 2.5;
        assertTrue(Math.abs(got - want) <= q.worstCaseSumError(n), bits + " bits, v=" + v + ": " + got);
      }
    }
  }

  @Test
  void gridValuesRoundTripExactly() {
    Quantizer q = new Quantizer(32, 1, 4);
    double s = q.scale();
    double[] x = {0, 1 / s, -1 / s, 17 / s, -1, 1};
    long[] enc = q.encode(x, rnd("g"));
    assertArrayEquals(x, q.decodeSum(enc), 0);
  }

  /**
   * The decoded-sum error never exceeds m/s, exceeds the Hoeffding bound at β = 0.01 in at most
   * about 1% of coordinates, and has mean ~0 (unbiased rounding).
   */
  @Test
  void decodedSumErrorWithinTheDocumentedBounds() {
    int sites = 20;
    int dim = 20_000;
    Quantizer q = new Quantizer(16, 1.0, sites);
    double[][] x = randomInputs(sites, dim, 4);
    double[] err = sumErrors(q, x, (v, i) -> q.encode(v, rnd("site" + i)));
    double worst = q.worstCaseSumError(sites);
    double hoeffding = q.sumErrorBound(sites, 0.01);
    int over = 0;
    double mean = 0;
    for (double e : err) {
      assertTrue(Math.abs(e) < worst, "error " + e + " exceeds m/s = " + worst);
      if (Math.abs(e) > hoeffding) {
        over++;
      }
      mean += e;
    }
    mean /= dim;
    assertTrue(over <= 0.015 * dim, over + " of " + dim + " coordinates exceed the β=0.01 bound");
    assertTrue(unbiased(mean, sites, q.scale(), dim), "mean error " + mean);
  }

  /** Negative control: deterministic floor rounding is biased, and the same check catches it. */
  @Test
  void floorRoundingFailsTheUnbiasednessCheck() {
    int sites = 20;
    int dim = 20_000;
    Quantizer q = new Quantizer(16, 1.0, sites);
    double s = q.scale();
    long mask = (1L << 16) - 1;
    double[][] x = randomInputs(sites, dim, 4);
    double[] err = sumErrors(q, x, (v, i) -> {
      long[] out = new long[v.length];
      for (int j = 0; j < v.length; j++) {
        out[j] = ((long) Math.floor(v[j] * s)) & mask;
      }
      return out;
    });
    double mean = 0;
    for (double e : err) {
      mean += e;
    }
    mean /= dim;
    assertTrue(!unbiased(mean, sites, s, dim), "floor rounding passed as unbiased: mean " + mean);
  }

  /** |mean| within 5 standard errors; each site's error has variance ≤ 1/(4s²). */
  private static boolean unbiased(double mean, int sites, double s, int dim) {
    double se = Math.sqrt(sites / (4 * s * s) / dim);
    return Math.abs(mean) <= 5 * se;
  }

  private interface Encoder {
    long[] encode(double[] v, int site);
  }

  private static double[][] randomInputs(int sites, int dim, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] x = new double[sites][dim];
    for (double[] row : x) {
      for (int j = 0; j < dim; j++) {
        row[j] = r.nextDouble(-1, 1);
      }
    }
    return x;
  }

  private static double[] sumErrors(Quantizer q, double[][] x, Encoder enc) {
    int dim = x[0].length;
    long[] sum = new long[dim];
    double[] exact = new double[dim];
    long mask = q.modulusBits() == 64 ? -1L : (1L << q.modulusBits()) - 1;
    for (int i = 0; i < x.length; i++) {
      long[] e = enc.encode(x[i], i);
      for (int j = 0; j < dim; j++) {
        sum[j] += e[j];
        exact[j] += x[i][j];
      }
    }
    for (int j = 0; j < dim; j++) {
      sum[j] &= mask;
    }
    double[] dec = q.decodeSum(sum);
    double[] err = new double[dim];
    for (int j = 0; j < dim; j++) {
      err[j] = dec[j] - exact[j];
    }
    return err;
  }

  /** Through secure aggregation: quantize, mask, aggregate with a dropout, decode. */
  @Test
  void endToEndThroughSecureAggregation() throws Exception {
    int n = 6;
    Quantizer q = new Quantizer(32, 0.5, n);
    SecAggParams p = SecAggParams.recommended(2, Federation.sites(n), 32, 100, new byte[32]);
    double[][] x = randomInputs(n, 100, 9);
    long[][] enc = new long[n][];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 100; j++) {
        x[i][j] *= 0.5;
      }
      enc[i] = q.encode(x[i], rnd("q" + i));
    }
    AggregateResult r = new Federation(p, 3).run(enc, Map.of("site-4", Federation.Drop.AFTER_SHARE));
    assertEquals(List.of("site-4"), r.dropped());
    double[] dec = q.decodeSum(r.sum());
    for (int j = 0; j < 100; j++) {
      double want = 0;
      for (int i = 0; i < n; i++) {
        if (i != 4) {
          want += x[i][j];
        }
      }
      assertTrue(Math.abs(dec[j] - want) < q.worstCaseSumError(n - 1), "coordinate " + j);
    }
  }
}
