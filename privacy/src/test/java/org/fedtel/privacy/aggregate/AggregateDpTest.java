package org.fedtel.privacy.aggregate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.fedtel.privacy.testing.DpTester;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Statistical DP tests of Count and BoundedMean on neighbouring datasets, with negative controls. */
class AggregateDpTest {
  static double count(int n, boolean add, double eps, SplittableRandom r) {
    Count c = Count.builder().epsilon(eps).random(r).build();
    c.incrementBy(n + (add ? 1 : 0));
    return c.computeResult();
  }

  static double mean(boolean add, double eps, SplittableRandom r) {
    BoundedMean m = BoundedMean.builder().epsilon(eps).bounds(0, 10).random(r).build();
    for (double x : new double[] {1, 2, 3}) {
      m.addEntry(x);
    }
    if (add) {
      m.addEntry(10);
    }
    return m.computeResult();
  }

  static void countTest(int samples, double tolerance) {
    double eps = 1.0;
    SplittableRandom r = new SplittableRandom(21);
    double[] a = new double[samples];
    double[] b = new double[samples];
    for (int i = 0; i < samples; i++) {
      a[i] = count(10, false, eps, r);
      b[i] = count(10, true, eps, r);
    }
    double good = DpTester.deltaHat(a, b, eps, 0.5, 20.5, 20);
    assertTrue(good <= tolerance, "Count delta-hat " + good);
    for (int i = 0; i < samples; i++) {
      a[i] = count(10, false, 2 * eps, r); // half the noise
      b[i] = count(10, true, 2 * eps, r);
    }
    double bad = DpTester.deltaHat(a, b, eps, 0.5, 20.5, 20);
    assertTrue(bad > tolerance, "negative control must be rejected, delta-hat " + bad);
  }

  static void meanTest(int samples, double tolerance) {
    double eps = 1.0;
    SplittableRandom r = new SplittableRandom(22);
    double[] a = new double[samples];
    double[] b = new double[samples];
    for (int i = 0; i < samples; i++) {
      a[i] = mean(false, eps, r);
      b[i] = mean(true, eps, r);
    }
    // Clamped outputs land exactly on the bounds: the overflow buckets hold them.
    double good = DpTester.deltaHat(a, b, eps, 1e-9, 10, 20);
    assertTrue(good <= tolerance, "BoundedMean delta-hat " + good);
    for (int i = 0; i < samples; i++) {
      a[i] = mean(false, 2 * eps, r);
      b[i] = mean(true, 2 * eps, r);
    }
    double bad = DpTester.deltaHat(a, b, eps, 1e-9, 10, 20);
    assertTrue(bad > tolerance, "negative control must be rejected, delta-hat " + bad);
  }

  @Test
  void count() {
    countTest(100_000, 0.02);
  }

  @Test
  void boundedMean() {
    meanTest(100_000, 0.02);
  }

  @Test
  @Tag("heavy")
  void largeRuns() {
    countTest(2_000_000, 0.005);
    meanTest(2_000_000, 0.005);
  }
}
