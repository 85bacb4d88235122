package org.fedtel.simulations.generator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedtel.telemetry.detect.AnomalyModel;
import org.fedtel.telemetry.detect.DetectorSettings;
import org.fedtel.telemetry.eval.Metrics;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.Statistics;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.features.Windower;

/**
 * Is the synthetic data a real test of a detector? Generates one site, trains the telemetry
 * module's autoencoder detector on the first day's fully normal windows, and scores the second day:
 * recall per anomaly type at the detector's own threshold (99th percentile of training scores),
 * per-episode recall, and, against it, the best F1 any single window feature (one statistic of one
 * metric) reaches with the best possible threshold chosen with hindsight on the test day. A type that
 * one feature separates perfectly would be a toy; docs/EVALUATION.md has the table this prints.
 *
 * <pre>
 * mvn -B -q -o -pl simulations install -DskipTests
 * mvn -B -q -o -pl simulations dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp simulations/target/classes:$(cat simulations/target/cp.txt) \
 *     org.fedtel.simulations.generator.DetectorCheck [nodes=16] [seed=1] [epochs=20] [anomaly-rate=0.1]
 * </pre>
 */
public final class DetectorCheck {
  private DetectorCheck() {}

  public static void main(String[] args) {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
    int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    double rate = args.length > 3 ? Double.parseDouble(args[3]) : 0.1;
    GeneratorConfig config = GeneratorConfig.builder().sites(1).nodesPerSite(nodes).durationSeconds(2 * 86_400)
        .intervalSeconds(10).anomalyRate(rate).seed(seed).build();
    System.out.println(run(config, epochs));
  }

  /** Runs the check and returns the report (Markdown). */
  static String run(GeneratorConfig config, int epochs) {
    long t0 = System.nanoTime();
    WindowSpec spec = new WindowSpec(12, 6, FeatureMode.STATISTICS);
    List<double[]> features = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    List<String> nodeIds = new ArrayList<>();
    List<Long> ends = new ArrayList<>();
    Windower windower = new Windower(spec, Metric.COUNT, (node, endMillis, endRow, f, label) -> {
      features.add(f.clone());
      labels.add(label);
      nodeIds.add(node);
      ends.add(endMillis);
    });
    TelemetryGenerator g = new TelemetryGenerator(config);
    long[] row = {0};
    g.generateSite(0, (node, time, values, label, x) ->
        windower.accept(row[0]++, Integer.toString(node), time * 1000, values, label == null ? null : label.label()));
    long split = (config.startEpochSecond() + 86_400) * 1000;

    List<double[]> train = new ArrayList<>();
    List<Integer> test = new ArrayList<>();
    for (int i = 0; i < features.size(); i++) {
      // Training windows end on day 1 and lie wholly before day 2 (no overlap with test windows).
      if (ends.get(i) < split - spec.length() * config.intervalSeconds() * 1000L) {
        if (labels.get(i) == null) {
          train.add(features.get(i));
        }
      } else if (ends.get(i) >= split + spec.length() * config.intervalSeconds() * 1000L) {
        test.add(i);
      }
    }
    DetectorSettings defaults = DetectorSettings.defaults();
    DetectorSettings settings = new DetectorSettings(defaults.hidden(), defaults.activation(), defaults.scaler(),
        epochs, defaults.batchSize(), defaults.learningRate(), defaults.error(), defaults.thresholdPercentile());
    List<String> metricNames = Metric.columns();
    AnomalyModel model = AnomalyModel.train(spec, metricNames, train.toArray(new double[0][]), settings,
        new SplittableRandom(config.seed()));
    long trained = System.nanoTime();

    int n = test.size();
    double[] scores = new double[n];
    boolean[] flagged = new boolean[n];
    String[] testLabels = new String[n];
    String[] testNodes = new String[n];
    long[] testEnds = new long[n];
    AnomalyModel.Scorer scorer = model.scorer();
    for (int k = 0; k < n; k++) {
      int i = test.get(k);
      scores[k] = scorer.score(features.get(i));
      flagged[k] = scorer.isAnomalous(scores[k]);
      testLabels[k] = labels.get(i);
      testNodes[k] = nodeIds.get(i);
      testEnds[k] = ends.get(i);
    }
    Map<String, Double> recall = Metrics.recallByType(testLabels, flagged);
    boolean[] positive = new boolean[n];
    int normals = 0;
    int falsePositives = 0;
    int tp = 0;
    int anomalous = 0;
    for (int k = 0; k < n; k++) {
      positive[k] = testLabels[k] != null;
      if (positive[k]) {
        anomalous++;
        tp += flagged[k] ? 1 : 0;
      } else {
        normals++;
        falsePositives += flagged[k] ? 1 : 0;
      }
    }
    double auc = Metrics.rocAuc(scores, positive);

    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "site: %s, %d nodes, %d metrics; windows of %d samples, step %d, %d features%n",
        g.profile(0).hardware().name(), g.nodes(0), Metric.COUNT, spec.length(), spec.step(),
        spec.featureCount(Metric.COUNT)));
    b.append(String.format(Locale.ROOT, "train: %d normal windows of day 1; test: %d windows of day 2 (%d anomalous);"
        + " autoencoder %s, %d epochs, threshold p%.0f; %.0f s%n%n", train.size(), n, anomalous,
        Arrays.toString(settings.hidden()), epochs, settings.thresholdPercentile(), (trained - t0) / 1e9));
    b.append(String.format(Locale.ROOT, "overall: recall %.3f, precision %.3f, false-positive rate on normal windows "
        + "%.4f, ROC-AUC %.3f%n%n", (double) tp / anomalous, (double) tp / Math.max(1, tp + falsePositives),
        (double) falsePositives / normals, auc));
    b.append("| type | test windows | episodes | AE window recall | AE episode recall | AE F1 | AE best F1 "
        + "(hindsight threshold) | best single-feature F1 (hindsight threshold) | that feature |\n");
    b.append("|---|---|---|---|---|---|---|---|---|\n");
    String[] featureNames = featureNames(metricNames);
    for (AnomalyType t : AnomalyType.values()) {
      String l = t.label();
      int[] ep = episodeRecall(testNodes, testLabels, flagged, l);
      double f1 = f1AtThreshold(testLabels, flagged, l);
      double aeBest = bestF1(scores, testLabels, l, false);
      double bestSingle = 0;
      String bestName = "";
      for (int f = 0; f < featureNames.length; f++) {
        double[] col = new double[n];
        for (int k = 0; k < n; k++) {
          col[k] = features.get(test.get(k))[f];
        }
        double v = bestF1(col, testLabels, l, true);
        if (v > bestSingle) {
          bestSingle = v;
          bestName = featureNames[f];
        }
      }
      long count = Arrays.stream(testLabels).filter(l::equals).count();
      b.append(String.format(Locale.ROOT, "| %s | %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %s |%n", l, count,
          ep[0], recall.getOrDefault(l, Double.NaN), ep[0] == 0 ? Double.NaN : (double) ep[1] / ep[0], f1, aeBest,
          bestSingle, bestName));
    }
    return b.toString();
  }

  static String[] featureNames(List<String> metrics) {
    String[] names = new String[metrics.size() * Statistics.NAMES.length];
    for (int m = 0; m < metrics.size(); m++) {
      for (int s = 0; s < Statistics.NAMES.length; s++) {
        names[m * Statistics.NAMES.length + s] = metrics.get(m) + "." + Statistics.NAMES[s];
      }
    }
    return names;
  }

  /** Episodes of {@code type} (runs of its windows per node) and how many had a flagged window. */
  static int[] episodeRecall(String[] nodes, String[] labels, boolean[] flagged, String type) {
    int episodes = 0;
    int detected = 0;
    boolean in = false;
    boolean hit = false;
    for (int k = 0; k < labels.length; k++) {
      boolean same = type.equals(labels[k]) && (!in || nodes[k].equals(nodes[k - 1]));
      if (same) {
        if (!in) {
          in = true;
          hit = false;
          episodes++;
        }
        if (flagged[k] && !hit) {
          hit = true;
          detected++;
        }
      } else {
        in = false;
        if (type.equals(labels[k])) {
          in = true;
          episodes++;
          hit = flagged[k];
          detected += hit ? 1 : 0;
        }
      }
    }
    return new int[] {episodes, detected};
  }

  /** F1 of "flagged" on windows of {@code type} against normal windows (other types left out). */
  static double f1AtThreshold(String[] labels, boolean[] flagged, String type) {
    int tp = 0;
    int fp = 0;
    int fn = 0;
    for (int k = 0; k < labels.length; k++) {
      if (type.equals(labels[k])) {
        tp += flagged[k] ? 1 : 0;
        fn += flagged[k] ? 0 : 1;
      } else if (labels[k] == null) {
        fp += flagged[k] ? 1 : 0;
      }
    }
    return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
  }

  /**
   * The best F1 over every threshold on {@code values} (flag at or above; with {@code bothWays} also
   * at or below), windows of {@code type} against normal windows.
   */
  static double bestF1(double[] values, String[] labels, String type, boolean bothWays) {
    int n = 0;
    for (String l : labels) {
      n += l == null || type.equals(l) ? 1 : 0;
    }
    double[] v = new double[n];
    boolean[] pos = new boolean[n];
    int j = 0;
    int positives = 0;
    for (int k = 0; k < labels.length; k++) {
      if (labels[k] == null || type.equals(labels[k])) {
        v[j] = values[k];
        pos[j] = labels[k] != null;
        positives += pos[j] ? 1 : 0;
        j++;
      }
    }
    if (positives == 0) {
      return Double.NaN;
    }
    Integer[] order = new Integer[n];
    for (int k = 0; k < n; k++) {
      order[k] = k;
    }
    Arrays.sort(order, (a, c) -> Double.compare(v[a], v[c]));
    double best = sweep(v, pos, order, positives, true);
    if (bothWays) {
      best = Math.max(best, sweep(v, pos, order, positives, false));
    }
    return best;
  }

  /** Flag the top (descending) or bottom values; thresholds only between distinct values. */
  private static double sweep(double[] v, boolean[] pos, Integer[] order, int positives, boolean descending) {
    int n = order.length;
    int tp = 0;
    int fp = 0;
    double best = 0;
    for (int r = 0; r < n; r++) {
      int k = order[descending ? n - 1 - r : r];
      if (pos[k]) {
        tp++;
      } else {
        fp++;
      }
      int next = r + 1 < n ? order[descending ? n - 2 - r : r + 1] : -1;
      if (next >= 0 && v[next] == v[k]) {
        continue;
      }
      best = Math.max(best, 2.0 * tp / (2.0 * tp + fp + (positives - tp)));
    }
    return best;
  }
}
