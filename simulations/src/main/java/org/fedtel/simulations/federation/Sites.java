package org.fedtel.simulations.federation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.fedtel.simulations.generator.GeneratorConfig;
import org.fedtel.simulations.generator.Metric;
import org.fedtel.simulations.generator.TelemetryGenerator;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.features.Windower;
import org.fedtel.telemetry.io.CsvLayout;
import org.fedtel.telemetry.io.NabWindows;
import org.fedtel.telemetry.io.TelemetryCsv;
import org.fedtel.telemetry.io.TelemetryFormatException;
import org.fedtel.telemetry.io.TimeWindow;

/**
 * Builds the sites of a simulation, from the synthetic generator or from a directory of real
 * telemetry. Each site's windows are split in time: the first half trains (normal windows only,
 * since the detectors are unsupervised), the second half is held out for evaluation, with a gap of
 * one window between them so that no window straddles the split.
 */
public final class Sites {
  private Sites() {}

  /** The agreed feature schema of a directory of real sites: what is used, and what was left out and why. */
  public record Schema(List<String> metrics, List<String> leftOut) {}

  /** Sites read from a directory, with the schema they were read with. */
  public record Loaded(List<SiteData> sites, Schema schema) {}

  /** Generated sites: {@code config.sites()} sites of synthetic HPC telemetry. */
  public static List<SiteData> generated(GeneratorConfig config, WindowSpec spec) {
    TelemetryGenerator generator = new TelemetryGenerator(config);
    long splitMillis = (config.startEpochSecond() + config.durationSeconds() / 2) * 1000;
    long margin = (long) spec.length() * config.intervalSeconds() * 1000L;
    List<SiteData> sites = new ArrayList<>();
    for (int s = 0; s < config.sites(); s++) {
      Split split = new Split(splitMillis, margin);
      Windower w = new Windower(spec, Metric.COUNT, split::accept);
      long[] row = {0};
      generator.generateSite(s, (node, time, values, label, intensity) ->
          w.accept(row[0]++, Integer.toString(node), time * 1000, values, label == null ? null : label.label()));
      sites.add(split.site(String.format("site-%03d", s)));
    }
    return sites;
  }

  /**
   * Sites from a directory: each subdirectory (all its CSV files) or each CSV file directly in
   * {@code dir} is one site, in name order. The federation uses the metrics every site has (the
   * others are reported in {@link Schema#leftOut()}); labels come from each file's label column or,
   * with {@code windowsJson}, from NAB label windows.
   */
  public static Loaded fromDirectory(Path dir, WindowSpec spec, Path windowsJson)
      throws IOException, TelemetryFormatException {
    TreeMap<String, List<Path>> entries = siteFiles(dir);
    if (entries.size() < 2) {
      throw new IllegalArgumentException(dir + " holds " + entries.size() + " site(s); a federation needs at least 2 "
          + "(one subdirectory or CSV file per site)");
    }
    Schema schema = schema(entries);
    NabWindows nab = windowsJson == null ? null : NabWindows.read(windowsJson);
    List<SiteData> sites = new ArrayList<>();
    for (var e : entries.entrySet()) {
      List<Path> files = e.getValue();
      // Read every file's windows, then split each file's windows in time.
      List<double[]> train = new ArrayList<>();
      List<double[]> test = new ArrayList<>();
      List<String> labels = new ArrayList<>();
      for (Path file : files) {
        List<double[]> windows = new ArrayList<>();
        List<String> windowLabels = new ArrayList<>();
        CsvLayout layout = TelemetryCsv.layout(file);
        int[] columns = new int[schema.metrics().size()];
        for (int m = 0; m < columns.length; m++) {
          columns[m] = layout.metrics().indexOf(schema.metrics().get(m));
        }
        // as fedtel eval: a file the windows JSON does not list is an error, not a file without anomalies
        if (nab != null && !nab.covers(file.getFileName().toString())) {
          throw new TelemetryFormatException(windowsJson, 0, 0, "no entry for " + file.getFileName()
              + " (every data file needs one; [] means no anomalies)");
        }
        List<TimeWindow> labelWindows = nab == null ? null : nab.windowsFor(file.getFileName().toString());
        long[] overflowRow = {-1};
        Windower w = new Windower(spec, columns.length, (node, end, row, features, label) -> {
          if (overflowRow[0] < 0 && !allFinite(features)) {
            overflowRow[0] = row; // finite but huge values (1e308) overflow the window statistics
          }
          windows.add(features.clone());
          windowLabels.add(label);
        });
        double[] projected = new double[columns.length];
        TelemetryCsv.read(file, (row, node, t, values, label) -> {
          for (int m = 0; m < columns.length; m++) {
            projected[m] = values[columns[m]];
          }
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
          w.accept(row, node, t, projected, l);
        });
        if (overflowRow[0] >= 0) {
          throw new TelemetryFormatException(file, 0, 0, "window ending at data row " + (overflowRow[0] + 1)
              + " has features that are not finite (values too large to compute with)");
        }
        int half = windows.size() / 2;
        for (int i = 0; i < windows.size(); i++) {
          if (i < half - 1) {
            if (windowLabels.get(i) == null) {
              train.add(windows.get(i));
            }
          } else if (i > half) {
            test.add(windows.get(i));
            labels.add(windowLabels.get(i));
          }
        }
      }
      if (train.isEmpty()) {
        throw new IllegalArgumentException("site " + e.getKey() + " has no normal windows in the first half of its data");
      }
      try {
        sites.add(standardize(e.getKey(), train, test, labels));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("site " + e.getKey() + " " + files + ": " + ex.getMessage(), ex);
      }
    }
    return new Loaded(List.copyOf(sites), schema);
  }

  private static boolean allFinite(double[] features) {
    for (double v : features) {
      if (!Double.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  static TreeMap<String, List<Path>> siteFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " is not a directory");
    }
    TreeMap<String, List<Path>> entries = new TreeMap<>();
    try (Stream<Path> list = Files.list(dir)) {
      for (Path p : list.sorted().toList()) {
        String name = p.getFileName().toString();
        if (Files.isDirectory(p)) {
          List<Path> csv;
          try (Stream<Path> files = Files.list(p)) {
            csv = files.filter(f -> Files.isRegularFile(f) && f.getFileName().toString().toLowerCase().endsWith(".csv"))
                .sorted().toList();
          }
          if (!csv.isEmpty()) {
            entries.put(name, csv);
          }
        } else if (name.toLowerCase().endsWith(".csv")) {
          entries.put(name.substring(0, name.length() - 4), List.of(p));
        }
      }
    }
    return entries;
  }

  static Schema schema(TreeMap<String, List<Path>> entries) throws IOException, TelemetryFormatException {
    Set<String> common = null;
    TreeMap<String, Set<String>> bySite = new TreeMap<>();
    for (var e : entries.entrySet()) {
      Set<String> site = null;
      for (Path f : e.getValue()) {
        Set<String> m = new LinkedHashSet<>(TelemetryCsv.layout(f).metrics());
        if (site == null) {
          site = m;
        } else {
          site.retainAll(m);
        }
      }
      bySite.put(e.getKey(), site);
      if (common == null) {
        common = new LinkedHashSet<>(site);
      } else {
        common.retainAll(site);
      }
    }
    if (common == null || common.isEmpty()) {
      throw new IllegalArgumentException("the sites have no metric in common; nothing to federate on");
    }
    List<String> leftOut = new ArrayList<>();
    for (var e : bySite.entrySet()) {
      for (String m : e.getValue()) {
        if (!common.contains(m)) {
          List<String> missing = new ArrayList<>();
          for (var other : bySite.entrySet()) {
            if (!other.getValue().contains(m)) {
              missing.add(other.getKey());
            }
          }
          String why = m + " (site " + e.getKey() + "): missing at " + missing;
          if (!leftOut.contains(why)) {
            leftOut.add(why);
          }
        }
      }
    }
    return new Schema(List.copyOf(common), List.copyOf(leftOut));
  }

  private static SiteData standardize(String id, List<double[]> train, List<double[]> test, List<String> labels) {
    return SiteData.standardized(id, train.toArray(new double[0][]), test.toArray(new double[0][]), labels.toArray(new String[0]));
  }

  /** Collects generated windows on either side of a time split. */
  private static final class Split {
    final long splitMillis;
    final long margin;
    final List<double[]> train = new ArrayList<>();
    final List<double[]> test = new ArrayList<>();
    final List<String> labels = new ArrayList<>();

    Split(long splitMillis, long margin) {
      this.splitMillis = splitMillis;
      this.margin = margin;
    }

    void accept(String node, long endMillis, long endRow, double[] features, String label) {
      if (endMillis < splitMillis - margin) {
        if (label == null) {
          train.add(features.clone());
        }
      } else if (endMillis >= splitMillis + margin) {
        test.add(features.clone());
        labels.add(label);
      }
    }

    SiteData site(String id) {
      return standardize(id, train, test, labels);
    }
  }
}
