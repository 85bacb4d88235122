package org.fedtel.cli;

import java.util.ArrayList;
import java.util.List;
import org.fedtel.simulations.generator.GeneratorConfig;
import org.fedtel.simulations.generator.Metric;
import org.fedtel.simulations.generator.TelemetryGenerator;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.features.Windower;

/**
 * The demo's sites: generated non-IID HPC telemetry with labelled anomalies, cut into feature
 * windows; the first day's normal windows train, the second day (all windows) is held out. Each
 * site standardizes with its own training statistics (no statistic leaves the site).
 */
final class DemoData {
  static final WindowSpec WINDOWS = new WindowSpec(12, 6, FeatureMode.STATISTICS);

  /**
   * One site's data: raw windows, and the same scaled with the site's own standardization ({@code
   * scaler}, fitted on its training windows).
   */
  record Site(String id, Scaler scaler, double[][] train, double[][] test, String[] testLabels, double[][] rawTrain,
              double[][] rawTest) {}

  private DemoData() {}

  static GeneratorConfig config(int sites, long seed) {
    return GeneratorConfig.builder().sites(sites).nodesPerSite(3).durationSeconds(2 * 86_400L).intervalSeconds(20)
        .anomalyRate(0.1).seed(seed).build();
  }

  static List<Site> generate(GeneratorConfig config) {
    TelemetryGenerator g = new TelemetryGenerator(config);
    long split = (config.startEpochSecond() + 86_400) * 1000;
    long margin = (long) WINDOWS.length() * config.intervalSeconds() * 1000L;
    List<Site> sites = new ArrayList<>();
    for (int s = 0; s < config.sites(); s++) {
      List<double[]> train = new ArrayList<>();
      List<double[]> test = new ArrayList<>();
      List<String> labels = new ArrayList<>();
      Windower w = new Windower(WINDOWS, Metric.COUNT, (node, end, row, features, label) -> {
        if (end < split - margin) {
          if (label == null) {
            train.add(features.clone());
          }
        } else if (end >= split + margin) {
          test.add(features.clone());
          labels.add(label);
        }
      });
      long[] row = {0};
      g.generateSite(s, (node, time, values, label, intensity) ->
          w.accept(row[0]++, Integer.toString(node), time * 1000, values, label == null ? null : label.label()));
      double[][] tr = train.toArray(new double[0][]);
      double[][] te = test.toArray(new double[0][]);
      Scaler scaler = Scaler.fit(Scaler.Kind.STANDARD, tr);
      sites.add(new Site("site-" + (s + 1), scaler, scaler.transform(tr), scaler.transform(te), labels.toArray(new String[0]), tr, te));
    }
    return sites;
  }
}
