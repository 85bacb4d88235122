package org.fedtel.privacy.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Builders, lifecycle and behaviour with little noise (large ε). */
class AggregateTest {
  private static SplittableRandom rng(long seed) {
    return new SplittableRandom(seed);
  }

  @Test
  void builderValidatesAtBuild() {
    assertThrows(IllegalStateException.class, () -> Count.builder().random(rng(1)).build());
    assertThrows(IllegalStateException.class, () -> BoundedMean.builder().epsilon(1).random(rng(1)).build());
    assertThrows(IllegalStateException.class, () -> BoundedSum.builder().epsilon(1).bounds(0, 1).build());
    assertThrows(IllegalArgumentException.class, () -> BoundedMean.builder().bounds(1, 0));
    assertThrows(IllegalArgumentException.class, () -> BoundedMean.builder().bounds(0, Double.POSITIVE_INFINITY));
    assertThrows(IllegalArgumentException.class, () -> Count.builder().epsilon(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> Count.builder().maxContributions(0));
    assertThrows(IllegalStateException.class, () -> Count.builder().epsilon(1).epsilon(2), "set once");
    assertThrows(IllegalArgumentException.class, () -> Quantiles.builder().tree(1, 4));
  }

  @Test
  void treeShapeIsCheckedWithoutOverflowAndSettableOnce() {
    // 2^30 levels · 4 bits per level overflows int to 0: it passed the 2^24-leaves check and build()
    // ran out of memory.
    assertThrows(IllegalArgumentException.class, () -> Quantiles.builder().tree(16, 1 << 30));
    assertThrows(IllegalArgumentException.class, () -> Quantiles.builder().tree(Integer.MAX_VALUE, Integer.MAX_VALUE));
    assertThrows(IllegalStateException.class, () -> Quantiles.builder().tree(4, 3).tree(16, 4), "set once");
    Quantiles q = Quantiles.builder().tree(2, 24).epsilon(1).bounds(0, 1).random(rng(1)).build();
    q.addEntry(0.25);
    assertEquals(0.25, q.computeResult().quantile(0.5), 0.5, "the largest allowed tree still builds");
  }

  @Test
  void boundsWhoseWidthOverflowsAreRejectedBySetter() {
    // The width 2e308 is infinite: it used to fail only in computeResult(), after the result was taken.
    assertThrows(IllegalArgumentException.class, () -> BoundedMean.builder().bounds(-1e308, 1e308));
    assertThrows(IllegalArgumentException.class, () -> BoundedSum.builder().bounds(-1e308, 1e308));
    assertThrows(IllegalArgumentException.class, () -> BoundedVariance.builder().bounds(-1e308, 1e308));
    assertThrows(IllegalArgumentException.class, () -> Quantiles.builder().bounds(-Double.MAX_VALUE, Double.MAX_VALUE));
    BoundedMean m = BoundedMean.builder().epsilon(1000).bounds(-1e307, 1e307).random(rng(2)).build();
    m.addEntry(0);
    assertTrue(Double.isFinite(m.computeResult()), "a wide but finite width is accepted");
  }

  @Test
  void resultTakenExactlyOnce() {
    Count c = Count.builder().epsilon(1).random(rng(1)).build();
    c.increment();
    c.computeResult();
    assertThrows(IllegalStateException.class, c::computeResult);
    assertThrows(IllegalStateException.class, c::increment);
    BoundedMean m = BoundedMean.builder().epsilon(1).bounds(0, 1).random(rng(1)).build();
    m.computeResult();
    assertThrows(IllegalStateException.class, m::computeResult);
    assertThrows(IllegalStateException.class, () -> m.addEntry(0.5));
    Quantiles q = Quantiles.builder().epsilon(1).bounds(0, 1).random(rng(1)).build();
    q.computeResult();
    assertThrows(IllegalStateException.class, q::computeResult);
  }

  @Test
  void rejectsNonFiniteEntries() {
    BoundedSum s = BoundedSum.builder().epsilon(1).bounds(0, 1).random(rng(1)).build();
    assertThrows(IllegalArgumentException.class, () -> s.addEntry(Double.NaN));
    BoundedVariance v = BoundedVariance.builder().epsilon(1).bounds(0, 1).random(rng(1)).build();
    assertThrows(IllegalArgumentException.class, () -> v.addEntry(Double.NEGATIVE_INFINITY));
  }

  @Test
  void accurateWithLargeEpsilon() {
    SplittableRandom data = rng(42);
    Count c = Count.builder().epsilon(1000).random(rng(2)).build();
    BoundedSum s = BoundedSum.builder().epsilon(1000).bounds(0, 10).random(rng(3)).build();
    BoundedMean m = BoundedMean.builder().epsilon(1000).bounds(0, 10).random(rng(4)).build();
    BoundedVariance v = BoundedVariance.builder().epsilon(1000).bounds(0, 10).random(rng(5)).build();
    Quantiles q = Quantiles.builder().epsilon(1000).bounds(0, 10).random(rng(6)).build();
    double sum = 0;
    double sq = 0;
    int n = 10_000;
    double[] xs = new double[n];
    for (int i = 0; i < n; i++) {
      double x = 2 + 6 * data.nextDouble(); // uniform on [2, 8]
      xs[i] = x;
      c.increment();
      s.addEntry(x);
      m.addEntry(x);
      v.addEntry(x);
      q.addEntry(x);
      sum += x;
      sq += x * x;
    }
    assertEquals(n, c.computeResult(), 5);
    assertEquals(sum, s.computeResult(), 1);
    assertEquals(sum / n, m.computeResult(), 1e-3);
    double var = sq / n - (sum / n) * (sum / n);
    assertEquals(var, v.computeResult(), 1e-2);
    Quantiles.NoisyTree t = q.computeResult();
    java.util.Arrays.sort(xs);
    for (double rank : new double[] {0.1, 0.25, 0.5, 0.75, 0.9}) {
      assertEquals(xs[(int) (rank * n)], t.quantile(rank), 0.01, "rank " + rank);
    }
    assertTrue(t.quantile(0.0) >= 0 && t.quantile(1.0) <= 10);
  }

  @Test
  void clampsToBounds() {
    BoundedSum s = BoundedSum.builder().epsilon(1000).bounds(-1, 1).random(rng(7)).build();
    s.addEntry(100);
    s.addEntry(-0.5);
    assertEquals(0.5, s.computeResult(), 0.05);
  }
}
