package org.fedtel.telemetry.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatisticsTest {
  // x = 1,2,3,4,10: mean 4, deviations -3,-2,-1,0,6.
  // m2 = 50/5 = 10, m3 = 180/5 = 36, m4 = 1394/5 = 278.8.
  private static final double[] X = {1, 2, 3, 4, 10};

  @Test
  void momentsMatchHandComputedNumpyScipyDefinitions() {
    assertEquals(Math.sqrt(10), Statistics.std(X), 1e-15);            // numpy.std, ddof=0
    assertEquals(36 / Math.pow(10, 1.5), Statistics.skew(X), 1e-15);   // scipy.stats.skew, biased
    assertEquals(278.8 / 100 - 3, Statistics.kurtosis(X), 1e-15);      // Fisher excess, biased
    assertEquals(2.0, Statistics.slope(X), 1e-15);                     // sum(dt dx) 20 / sum(dt^2) 10
  }

  @Test
  void percentilesUseNumpyLinearInterpolation() {
    // h = (n-1) p / 100: p5 -> 0.2, p25 -> 1, p50 -> 2, p75 -> 3, p95 -> 3.8
    assertEquals(1.2, Statistics.percentile(X, 5), 1e-15);
    assertEquals(2.0, Statistics.percentile(X, 25), 1e-15);
    assertEquals(3.0, Statistics.percentile(X, 50), 1e-15);
    assertEquals(4.0, Statistics.percentile(X, 75), 1e-15);
    assertEquals(8.8, Statistics.percentile(X, 95), 1e-14);
    assertEquals(10.0, Statistics.percentile(X, 100), 0);
    assertEquals(1.0, Statistics.percentile(X, 0), 0);
    // even count, unsorted input: numpy.percentile([4, 1, 3, 2], 50) = 2.5, (.., 10) = 1.3
    assertEquals(2.5, Statistics.percentile(new double[] {4, 1, 3, 2}, 50), 1e-15);
    assertEquals(1.3, Statistics.percentile(new double[] {4, 1, 3, 2}, 10), 1e-15);
    assertThrows(IllegalArgumentException.class, () -> Statistics.percentile(X, 101));
  }

  @Test
  void describeProducesAllTwelveInOrderAndConstantWindowsGiveZeroShape() {
    double[] out = new double[12];
    Statistics.describe(new double[] {4, 1, 10, 3, 2}, 5, new double[5], out, 0);
    // slope of 4,1,10,3,2 against 0..4: dt = -2..2, dx = 0,-3,6,-1,-2, sum(dt dx) = 3 - 1 - 4 = -2, / 10
    assertArrayEquals(new double[] {10, 1, 4, Math.sqrt(10), 36 / Math.pow(10, 1.5), -0.212,
        1.2, 2, 3, 4, 8.8, -0.2}, out, 1e-12);
    Statistics.describe(new double[] {7, 7, 7}, 3, new double[3], out, 0);
    assertArrayEquals(new double[] {7, 7, 7, 0, 0, 0, 7, 7, 7, 7, 7, 0}, out, 0);
  }

  @Test
  void windowerEmitsStatisticsAndRawWindowsWithForwardFill() {
    List<double[]> got = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    List<Long> rows = new ArrayList<>();
    Windower w = new Windower(new WindowSpec(3, 2, FeatureMode.RAW), 2,
        (node, t, row, f, label) -> {
          got.add(f.clone());
          labels.add(label);
          rows.add(row);
        });
    double nan = Double.NaN;
    w.accept(0, "a", 0, new double[] {nan, 1}, null); // dropped: no earlier value of metric 0
    w.accept(1, "a", 1, new double[] {1, 2}, null);
    w.accept(2, "a", 2, new double[] {2, nan}, null); // metric 1 filled with 2
    w.accept(3, "a", 3, new double[] {3, 4}, "memleak"); // first window: rows 1..3
    w.accept(4, "a", 4, new double[] {4, 5}, null);
    w.accept(5, "a", 5, new double[] {5, 6}, null); // second window: rows 3..5
    assertEquals(1, w.droppedSamples());
    assertEquals(1, w.filledValues());
    assertEquals(2, got.size());
    assertArrayEquals(new double[] {1, 2, 2, 2, 3, 4}, got.get(0));
    assertArrayEquals(new double[] {3, 4, 4, 5, 5, 6}, got.get(1));
    assertEquals(List.of("memleak", "memleak"), labels);
    assertEquals(List.of(3L, 5L), rows);
  }

  @Test
  void nodesAreWindowedSeparately() {
    List<String> nodes = new ArrayList<>();
    Windower w = new Windower(new WindowSpec(2, 1, FeatureMode.STATISTICS), 1, (node, t, row, f, label) -> nodes.add(node));
    w.accept(0, "a", 0, new double[] {1}, null);
    w.accept(1, "b", 0, new double[] {1}, null);
    w.accept(2, "a", 1, new double[] {2}, null);
    w.accept(3, "b", 1, new double[] {2}, null);
    w.accept(4, "b", 2, new double[] {3}, null);
    assertEquals(List.of("a", "b", "b"), nodes);
  }

  @Test
  void scalersFromSummariesEqualScalersFromData() {
    double[][] data = {{1, 10}, {2, 10}, {3, 10}, {6, 10}};
    FeatureSummary a = new FeatureSummary(2);
    FeatureSummary b = new FeatureSummary(2);
    a.add(data[0]);
    a.add(data[1]);
    b.add(data[2]);
    b.add(data[3]);
    a.merge(b);
    Scaler std = a.scaler(Scaler.Kind.STANDARD);
    // mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5; constant feature: scale 1
    assertArrayEquals(new double[] {3, 10}, std.offset(), 1e-15);
    assertArrayEquals(new double[] {Math.sqrt(3.5), 1}, std.scale(), 1e-15);
    assertEquals(std, Scaler.fit(Scaler.Kind.STANDARD, data));
    assertEquals(std, Scaler.standardFromMoments(4, new double[] {12, 40}, new double[] {50, 400}));
    Scaler mm = a.scaler(Scaler.Kind.MIN_MAX);
    double[] out = new double[2];
    mm.transform(new double[] {6, 10}, out);
    assertArrayEquals(new double[] {1, 0}, out, 0);
    // DP noise can make the variance negative: no NaN, scale 1
    Scaler noisy = Scaler.standardFromMoments(4, new double[] {12}, new double[] {30});
    assertEquals(1.0, noisy.scale()[0]);
    assertThrows(IllegalArgumentException.class, () -> Scaler.standardFromMoments(0, new double[] {1}, new double[] {1}));
    assertThrows(IllegalArgumentException.class, () -> Scaler.minMax(new double[] {Double.NaN}, new double[] {1}));
  }
}
