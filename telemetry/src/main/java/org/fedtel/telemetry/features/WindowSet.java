package org.fedtel.telemetry.features;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fedtel.telemetry.io.CsvLayout;
import org.fedtel.telemetry.io.SampleSink;
import org.fedtel.telemetry.io.TelemetryCsv;
import org.fedtel.telemetry.io.TelemetryFormatException;
import org.fedtel.telemetry.io.TimeWindow;

/**
 * Windows collected in memory: a feature matrix with labels. Only the features are kept, never the
 * raw samples, so memory is proportional to the number of windows (use a larger step for huge
 * inputs, or a {@link Windower} with your own {@link WindowSink} to keep nothing).
 */
public final class WindowSet {
  private final List<String> featureNames;
  private final double[][] features;
  private final String[] labels;
  private final String[] nodes;
  private final long[] endMillis;
  private final long[] endRows;
  private final long rows;

  private WindowSet(List<String> featureNames, double[][] features, String[] labels, String[] nodes,
                    long[] endMillis, long[] endRows, long rows) {
    this.featureNames = featureNames;
    this.features = features;
    this.labels = labels;
    this.nodes = nodes;
    this.endMillis = endMillis;
    this.endRows = endRows;
    this.rows = rows;
  }

  /**
   * Reads one CSV file into windows. If {@code labelWindows} is not null (NAB), a sample is labelled
   * {@code "anomaly"} when its timestamp lies in one of them, overriding any label column.
   */
  public static WindowSet read(Path file, WindowSpec spec, List<TimeWindow> labelWindows)
      throws IOException, TelemetryFormatException {
    CsvLayout layout = TelemetryCsv.layout(file);
    Collector c = new Collector();
    Windower w = new Windower(spec, layout.metrics().size(), c);
    long[] rows = {0};
    SampleSink sink = (row, node, t, values, label) -> {
      rows[0] = row + 1;
      String l = label;
      if (labelWindows != null) {
        l = null;
        for (TimeWindow tw : labelWindows) {
          if (tw.contains(t)) {
            l = "anomaly";
            break;
          }
        }
      }
      w.accept(row, node, t, values, l);
    };
    TelemetryCsv.read(file, sink);
    return c.build(featureNames(layout.metrics(), spec), rows[0]);
  }

  /** The CSV files of a directory (not recursive), sorted by name. */
  public static List<Path> csvFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().toLowerCase().endsWith(".csv"))
          .sorted().toList();
    }
  }

  /** Feature names: {@code metric_stat} for statistics, {@code metric@t} for raw windows. */
  public static List<String> featureNames(List<String> metrics, WindowSpec spec) {
    List<String> names = new ArrayList<>(spec.featureCount(metrics.size()));
    if (spec.mode() == FeatureMode.RAW) {
      for (int t = 0; t < spec.length(); t++) {
        for (String m : metrics) {
          names.add(m + "@" + t);
        }
      }
    } else {
      for (String m : metrics) {
        for (String s : Statistics.NAMES) {
          names.add(m + "_" + s);
        }
      }
    }
    return List.copyOf(names);
  }

  private static final class Collector implements WindowSink {
    final List<double[]> f = new ArrayList<>();
    final List<String> l = new ArrayList<>();
    final List<String> n = new ArrayList<>();
    final List<Long> t = new ArrayList<>();
    final List<Long> r = new ArrayList<>();

    @Override
    public void accept(String node, long endMillis, long endRow, double[] features, String label) {
      f.add(features.clone());
      l.add(label);
      n.add(node);
      t.add(endMillis);
      r.add(endRow);
    }

    WindowSet build(List<String> names, long rows) {
      int size = f.size();
      long[] tm = new long[size];
      long[] rw = new long[size];
      for (int i = 0; i < size; i++) {
        tm[i] = t.get(i);
        rw[i] = r.get(i);
      }
      return new WindowSet(names, f.toArray(new double[0][]), l.toArray(new String[0]),
          n.toArray(new String[0]), tm, rw, rows);
    }
  }

  public int size() {
    return features.length;
  }

  public List<String> featureNames() {
    return featureNames;
  }

  /** Data rows read from the file. */
  public long rows() {
    return rows;
  }

  /** A copy of window {@code i}'s features. */
  public double[] features(int i) {
    return features[i].clone();
  }

  /** A deep copy of the feature matrix (rows = windows). */
  public double[][] featureMatrix() {
    double[][] out = new double[features.length][];
    for (int i = 0; i < out.length; i++) {
      out[i] = features[i].clone();
    }
    return out;
  }

  /** Anomaly type of window {@code i}, {@code null} if normal. */
  public String label(int i) {
    return labels[i];
  }

  public String node(int i) {
    return nodes[i];
  }

  public long endMillis(int i) {
    return endMillis[i];
  }

  public long endRow(int i) {
    return endRows[i];
  }
}
