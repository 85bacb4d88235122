package org.fedtel.telemetry.features;

import java.util.HashMap;
import java.util.Map;
import org.fedtel.telemetry.io.SampleSink;

/**
 * Turns a stream of samples into sliding windows, per node, in constant memory per node (one ring
 * buffer of {@code length x metrics} values).
 *
 * <p>Missing values (NaN from the reader) are filled forward with the node's last observed value of
 * that metric; a sample with a missing value before any observation of that metric is dropped
 * (counted in {@link #droppedSamples()}).
 */
public final class Windower implements SampleSink {
  private final WindowSpec spec;
  private final int metrics;
  private final WindowSink sink;
  private final double[] features;
  private final double[] column;
  private final double[] sorted;
  private final Map<String, NodeState> nodes = new HashMap<>();
  private long filled;
  private long dropped;
  private long windows;

  public Windower(WindowSpec spec, int metrics, WindowSink sink) {
    if (metrics < 1) {
      throw new IllegalArgumentException("metrics must be >= 1, was " + metrics);
    }
    this.spec = spec;
    this.metrics = metrics;
    this.sink = sink;
    this.features = new double[spec.featureCount(metrics)];
    this.column = new double[spec.length()];
    this.sorted = new double[spec.length()];
  }

  private final class NodeState {
    final double[] ring = new double[spec.length() * metrics];
    final String[] labels = new String[spec.length()];
    final long[] rows = new long[spec.length()];
    final double[] last = new double[metrics];
    long count;

    NodeState() {
      java.util.Arrays.fill(last, Double.NaN);
    }
  }

  @Override
  public void accept(long row, String node, long epochMillis, double[] values, String label) {
    if (values.length != metrics) {
      throw new IllegalArgumentException("expected " + metrics + " values, got " + values.length);
    }
    NodeState s = nodes.computeIfAbsent(node, k -> new NodeState());
    int fills = 0;
    for (int m = 0; m < metrics; m++) {
      if (Double.isNaN(values[m])) {
        if (Double.isNaN(s.last[m])) {
          dropped++;
          return;
        }
        fills++;
      }
    }
    filled += fills;
    int L = spec.length();
    int slot = (int) (s.count % L);
    int base = slot * metrics;
    for (int m = 0; m < metrics; m++) {
      double v = Double.isNaN(values[m]) ? s.last[m] : values[m];
      s.ring[base + m] = v;
      s.last[m] = v;
    }
    s.labels[slot] = label;
    s.rows[slot] = row;
    s.count++;
    if (s.count >= L && (s.count - L) % spec.step() == 0) {
      emit(node, epochMillis, row, s);
    }
  }

  private void emit(String node, long endMillis, long endRow, NodeState s) {
    int L = spec.length();
    int oldest = (int) (s.count % L); // slot after the newest = oldest, since the ring is full
    if (spec.mode() == FeatureMode.RAW) {
      for (int t = 0; t < L; t++) {
        int slot = (oldest + t) % L;
        System.arraycopy(s.ring, slot * metrics, features, t * metrics, metrics);
      }
    } else {
      int k = Statistics.NAMES.length;
      for (int m = 0; m < metrics; m++) {
        for (int t = 0; t < L; t++) {
          column[t] = s.ring[((oldest + t) % L) * metrics + m];
        }
        Statistics.describe(column, L, sorted, features, m * k);
      }
    }
    windows++;
    sink.accept(node, endMillis, endRow, features, windowLabel(s.labels));
  }

  private static String windowLabel(String[] labels) {
    String only = null;
    boolean mixed = false;
    for (String l : labels) {
      if (l != null) {
        if (only == null) {
          only = l;
        } else if (!only.equals(l)) {
          mixed = true;
        }
      }
    }
    if (!mixed) {
      return only;
    }
    Map<String, Integer> counts = new HashMap<>();
    String best = null;
    int bestCount = 0;
    for (String l : labels) {
      if (l != null) {
        int c = counts.merge(l, 1, Integer::sum);
        if (c > bestCount) {
          best = l;
          bestCount = c;
        }
      }
    }
    return best;
  }

  /** Missing values filled forward so far. */
  public long filledValues() {
    return filled;
  }

  /** Samples dropped because a metric had no earlier value to fill from. */
  public long droppedSamples() {
    return dropped;
  }

  /** Windows emitted so far. */
  public long windows() {
    return windows;
  }
}
