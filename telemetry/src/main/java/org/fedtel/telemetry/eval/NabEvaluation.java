package org.fedtel.telemetry.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.fedtel.telemetry.detect.AnomalyModel;
import org.fedtel.telemetry.detect.DetectorSettings;
import org.fedtel.telemetry.detect.IsolationForest;
import org.fedtel.telemetry.detect.Threshold;
import org.fedtel.telemetry.detect.WindowedGaussian;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.features.Windower;
import org.fedtel.telemetry.io.CsvLayout;
import org.fedtel.telemetry.io.TelemetryCsv;
import org.fedtel.telemetry.io.TelemetryFormatException;
import org.fedtel.telemetry.io.TimeWindow;

/**
 * Evaluates a detector on labelled series the way NAB does: each file is its own stream; the
 * detector may learn only from the probationary part (the first 15 %, which NAB does not score),
 * then scores every row; the rows after the probationary part are scored with the NAB standard
 * profile and with point-wise metrics (a row is positive when it lies in a label window).
 *
 * <p>Per file, a detector's raw scores are divided by its own threshold (the configured percentile
 * of its scores on the probationary part), so a row is flagged when its normalized score is at
 * least 1 and scores from different files are comparable for pooled ROC/PR curves and for NAB's
 * corpus-wide threshold optimization.
 *
 * <p>Files must hold one node (any number of metrics). Rows that a window cannot yet cover (the
 * first length-1 rows, or rows dropped for missing values) score 0.
 */
public final class NabEvaluation {
  /** The detectors {@code fedtel eval} compares. */
  public enum Detector { AUTOENCODER, GAUSSIAN, IFOREST }

  /**
   * @param detector which detector
   * @param windowLength samples per window (autoencoder and isolation forest; raw values)
   * @param gaussianWindow trailing window of the windowed Gaussian (NAB: 1000)
   * @param autoencoder autoencoder settings; its {@code thresholdPercentile} is used for every detector
   * @param forestTrees isolation forest trees
   * @param forestSubsample isolation forest subsample size
   */
  public record Settings(Detector detector, int windowLength, int gaussianWindow, DetectorSettings autoencoder,
                         int forestTrees, int forestSubsample) {
    public Settings {
      if (detector == null || autoencoder == null) {
        throw new IllegalArgumentException("detector and autoencoder settings are required");
      }
      if (windowLength < 1 || gaussianWindow < 2 || forestTrees < 1 || forestSubsample < 2) {
        throw new IllegalArgumentException("window lengths, trees and subsample must be positive");
      }
    }

    /** Raw windows of 32 samples, the default autoencoder, Gaussian window 1000, 100 trees of 256. */
    public static Settings defaults(Detector detector) {
      return new Settings(detector, 32, 1000, DetectorSettings.defaults(), 100, 256);
    }
  }

  /**
   * One file's outcome.
   *
   * @param file file name
   * @param rows data rows
   * @param windows label windows
   * @param nab NAB score of the flags (normalized scores >= 1)
   * @param confusion point-wise counts over the scored (non-probationary) rows
   * @param rocAuc ROC-AUC over the scored rows (NaN without both classes)
   * @param prAuc average precision over the scored rows (NaN without positives)
   * @param threshold the detector's raw threshold for this file
   * @param model the trained autoencoder detector ({@code null} for the baselines)
   * @param recallByType share of scored rows of each anomaly type that were flagged ("anomaly" for
   *     NAB windows; the label column's types otherwise)
   * @param delay detection delay per label window (episode) over the scored rows
   */
  public record FileResult(String file, int rows, int windows, NabScorer.FileScore nab, Confusion confusion,
                           double rocAuc, double prAuc, double threshold, AnomalyModel model,
                           NabScorer.Sweep sweep, double[] normalizedScores, Map<String, Double> recallByType,
                           Metrics.DetectionDelay delay, String[] scoredTypes, long[] scoredTimes,
                           boolean[] scoredFlags) {
    public FileResult {
      normalizedScores = normalizedScores.clone();
      recallByType = Map.copyOf(recallByType);
      scoredTypes = scoredTypes.clone();
      scoredTimes = scoredTimes.clone();
      scoredFlags = scoredFlags.clone();
    }

    /** Per row: raw score / threshold (rows flagged at >= 1). */
    @Override
    public double[] normalizedScores() {
      return normalizedScores.clone();
    }
  }

  /**
   * The whole input's outcome.
   *
   * @param nabScore normalized NAB score with each file's own threshold (flags at normalized score >= 1)
   * @param nabScoreOptimized normalized NAB score at the corpus-optimal threshold (NAB's optimize step)
   * @param optimizedThreshold that threshold, on the normalized scale
   * @param confusion pooled point-wise counts
   * @param rocAuc pooled ROC-AUC over normalized scores
   * @param prAuc pooled average precision over normalized scores
   */
  public record Result(Detector detector, List<FileResult> files, double nabScore, double nabScoreOptimized,
                       double optimizedThreshold, Confusion confusion, double rocAuc, double prAuc,
                       Map<String, Double> recallByType, Metrics.DetectionDelay delay) {}

  private NabEvaluation() {}

  /**
   * Every label window must hold a row of the file: one that holds none cannot be detected and
   * would be scored as a miss, and usually means labels of another series or another time zone.
   */
  private static void requireRowsIn(Path file, long[] times, List<TimeWindow> windows) throws TelemetryFormatException {
    for (int w = 0; w < windows.size(); w++) {
      TimeWindow window = windows.get(w);
      boolean covered = false;
      for (long t : times) {
        if (window.contains(t)) {
          covered = true;
          break;
        }
      }
      if (!covered) {
        throw new TelemetryFormatException(file, 0, 0, "label window " + (w + 1) + " ["
            + java.time.Instant.ofEpochMilli(window.startMillis()) + ", " + java.time.Instant.ofEpochMilli(window.endMillis())
            + "] holds no row of the file (rows span " + java.time.Instant.ofEpochMilli(times[0]) + " to "
            + java.time.Instant.ofEpochMilli(times[times.length - 1]) + "): are the windows for another series?");
      }
    }
  }

  /**
   * Evaluates one file. {@code labelWindows} null means: take labels from the file's label column
   * and treat each maximal run of anomalous rows as one label window.
   */
  public static FileResult evaluateFile(Path file, List<TimeWindow> labelWindows, Settings settings,
                                        NabScorer scorer, RandomGenerator random)
      throws IOException, TelemetryFormatException {
    Series s = Series.read(file);
    int n = s.times.length;
    if (n < 10) {
      throw new TelemetryFormatException(file, 0, 0, "only " + n + " rows: too short to evaluate");
    }
    List<TimeWindow> windows = labelWindows != null ? labelWindows : s.labelRuns();
    if (labelWindows != null) {
      requireRowsIn(file, s.times, labelWindows);
    }
    NabScorer.Sweep sweep = scorer.sweep(s.times, windows);
    int probation = (int) Math.ceil(scorer.probationaryLength(n));
    double[] raw = new double[n];
    double threshold;
    AnomalyModel model = null;
    double pct = settings.autoencoder().thresholdPercentile();
    switch (settings.detector()) {
      case GAUSSIAN -> {
        if (s.metrics.size() != 1) {
          throw new TelemetryFormatException(file, 1, 0, "the windowed Gaussian needs a univariate series, found "
              + s.metrics.size() + " metrics");
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = s.values[i][0];
        }
        raw = new WindowedGaussian(settings.gaussianWindow()).scores(v);
        // Calibrate on probationary rows with at least windowLength values of history: the first
        // few rows' z-scores rest on one or two values (std ~ 0) and would set an absurd threshold.
        int from = Math.min(settings.windowLength(), Math.max(1, probation - 2));
        threshold = Threshold.fromTrainingScores(Arrays.copyOfRange(raw, from, Math.max(from + 1, probation)), pct);
      }
      case AUTOENCODER, IFOREST -> {
        WindowSpec spec = new WindowSpec(settings.windowLength(), 1, FeatureMode.RAW);
        List<double[]> feats = new ArrayList<>();
        List<Integer> ends = new ArrayList<>();
        Windower w = new Windower(spec, s.metrics.size(), (node, t, row, f, label) -> {
          feats.add(f.clone());
          ends.add((int) row);
        });
        for (int i = 0; i < n; i++) {
          w.accept(i, "", s.times[i], s.values[i], null);
        }
        List<double[]> train = new ArrayList<>();
        for (int k = 0; k < feats.size(); k++) {
          if (ends.get(k) < probation) {
            train.add(feats.get(k));
          }
        }
        if (train.size() < 2) {
          throw new TelemetryFormatException(file, 0, 0, "the probationary part (" + probation
              + " rows) holds fewer than 2 windows of " + settings.windowLength() + " samples");
        }
        double[][] trainX = train.toArray(new double[0][]);
        double[] trainScores = new double[trainX.length];
        if (settings.detector() == Detector.AUTOENCODER) {
          model = AnomalyModel.train(spec, s.metrics, trainX, settings.autoencoder(), random);
          AnomalyModel.Scorer sc = model.scorer();
          for (int k = 0; k < feats.size(); k++) {
            raw[ends.get(k)] = sc.score(feats.get(k));
          }
          threshold = model.threshold();
        } else {
          Scaler scaler = Scaler.fit(settings.autoencoder().scaler(), trainX);
          IsolationForest forest = IsolationForest.fit(scaler.transform(trainX), settings.forestTrees(),
              settings.forestSubsample(), random);
          double[] buf = new double[trainX[0].length];
          for (int k = 0; k < trainX.length; k++) {
            scaler.transform(trainX[k], buf);
            trainScores[k] = forest.score(buf);
          }
          for (int k = 0; k < feats.size(); k++) {
            scaler.transform(feats.get(k), buf);
            raw[ends.get(k)] = forest.score(buf);
          }
          threshold = Threshold.fromTrainingScores(trainScores, pct);
        }
      }
      default -> throw new IllegalArgumentException("unknown detector " + settings.detector());
    }
    double scale = threshold > 1e-300 ? threshold : 1e-300;
    double[] norm = new double[n];
    boolean[] flags = new boolean[n];
    for (int i = 0; i < n; i++) {
      norm[i] = raw[i] / scale;
      flags[i] = norm[i] >= 1.0;
    }
    NabScorer.FileScore nab = scorer.score(sweep, flags);
    int scored = 0;
    for (int i = 0; i < n; i++) {
      if (!sweep.probationary(i)) {
        scored++;
      }
    }
    boolean[] truth = new boolean[scored];
    boolean[] flagged = new boolean[scored];
    double[] sc = new double[scored];
    String[] types = new String[scored];
    long[] times = new long[scored];
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (!sweep.probationary(i)) {
        truth[m] = sweep.inWindow(i);
        flagged[m] = flags[i];
        sc[m] = norm[i];
        types[m] = !truth[m] ? null : labelWindows == null && s.labels[i] != null ? s.labels[i] : "anomaly";
        times[m] = s.times[i];
        m++;
      }
    }
    String name = file.getFileName().toString();
    String[] nodes = new String[scored];
    Arrays.fill(nodes, name);
    return new FileResult(name, n, windows.size(), nab, Confusion.of(truth, flagged),
        Metrics.rocAuc(sc, truth), Metrics.averagePrecision(sc, truth), threshold, model, sweep, norm,
        Metrics.recallByType(types, flagged), Metrics.detectionDelay(nodes, times, types, flagged),
        types, times, flagged);
  }

  /** Pools the files' results into corpus figures. */
  public static Result summarize(Detector detector, List<FileResult> files, NabScorer scorer) {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no files");
    }
    List<NabScorer.FileScore> nab = new ArrayList<>();
    List<NabScorer.Sweep> sweeps = new ArrayList<>();
    List<double[]> scores = new ArrayList<>();
    Confusion total = new Confusion(0, 0, 0, 0);
    int pooled = 0;
    for (FileResult f : files) {
      nab.add(f.nab());
      sweeps.add(f.sweep());
      scores.add(f.normalizedScores());
      total = total.plus(f.confusion());
      pooled += (int) (f.confusion().tp() + f.confusion().fp() + f.confusion().tn() + f.confusion().fn());
    }
    double[] all = new double[pooled];
    boolean[] truth = new boolean[pooled];
    int m = 0;
    for (FileResult f : files) {
      double[] norm = f.normalizedScores();
      for (int i = 0; i < f.rows(); i++) {
        if (!f.sweep().probationary(i)) {
          all[m] = norm[i];
          truth[m] = f.sweep().inWindow(i);
          m++;
        }
      }
    }
    String[] allTypes = new String[pooled];
    String[] allNodes = new String[pooled];
    long[] allTimes = new long[pooled];
    boolean[] allFlags = new boolean[pooled];
    int q = 0;
    for (FileResult f : files) {
      String[] t = f.scoredTypes();
      long[] tm = f.scoredTimes();
      boolean[] fl = f.scoredFlags();
      for (int i = 0; i < t.length; i++, q++) {
        allTypes[q] = t[i];
        allNodes[q] = f.file(); // episodes never span files
        allTimes[q] = tm[i];
        allFlags[q] = fl[i];
      }
    }
    double[] opt = scorer.optimizeThreshold(sweeps, scores);
    double nul = 0;
    long windows = 0;
    for (NabScorer.FileScore s : nab) {
      nul += s.nullScore();
      windows += s.windows();
    }
    double perfect = windows * scorer.profile().tpWeight();
    double optimized = 100 * (opt[1] - nul) / (perfect - nul);
    return new Result(detector, List.copyOf(files), scorer.normalized(nab), optimized, opt[0], total,
        Metrics.rocAuc(all, truth), Metrics.averagePrecision(all, truth),
        Metrics.recallByType(allTypes, allFlags), Metrics.detectionDelay(allNodes, allTimes, allTypes, allFlags));
  }

  /** One node's rows in memory (evaluation files are small; detection streams instead). */
  private static final class Series {
    long[] times;
    double[][] values;
    String[] labels;
    List<String> metrics;

    static Series read(Path file) throws IOException, TelemetryFormatException {
      List<Long> t = new ArrayList<>();
      List<double[]> v = new ArrayList<>();
      List<String> l = new ArrayList<>();
      String[] firstNode = {null};
      long[] badRow = {-1};
      CsvLayout layout = TelemetryCsv.read(file, (row, node, time, values, label) -> {
        if (firstNode[0] == null) {
          firstNode[0] = node;
        } else if (!firstNode[0].equals(node) && badRow[0] < 0) {
          badRow[0] = row;
        }
        t.add(time);
        v.add(values.clone());
        l.add(label);
      });
      if (badRow[0] >= 0) {
        throw new TelemetryFormatException(file, badRow[0] + 2, 0,
            "evaluation needs one node per file; found a second node here");
      }
      int metrics = layout.metrics().size();
      double[] last = new double[metrics];
      Arrays.fill(last, Double.NaN);
      for (int r = 0; r < v.size(); r++) {
        double[] row = v.get(r);
        for (int k = 0; k < metrics; k++) {
          if (Double.isNaN(row[k])) {
            if (Double.isNaN(last[k])) {
              throw new TelemetryFormatException(file, r + 2, 0, "missing value of " + layout.metrics().get(k)
                  + " before any observation: nothing to fill forward from");
            }
            row[k] = last[k];
          }
          last[k] = row[k];
        }
      }
      Series s = new Series();
      s.times = t.stream().mapToLong(Long::longValue).toArray();
      s.values = v.toArray(new double[0][]);
      s.labels = l.toArray(new String[0]);
      s.metrics = layout.metrics();
      return s;
    }

    List<TimeWindow> labelRuns() {
      List<TimeWindow> out = new ArrayList<>();
      int i = 0;
      while (i < labels.length) {
        if (labels[i] == null) {
          i++;
          continue;
        }
        int j = i;
        while (j + 1 < labels.length && labels[j + 1] != null) {
          j++;
        }
        int last = out.size() - 1;
        if (last >= 0 && times[i] <= out.get(last).endMillis()) {
          // Repeated timestamps are valid, but windows are time spans: a normal row between two runs
          // at one instant cannot separate them, so the runs (and that row) form one window.
          out.set(last, new TimeWindow(out.get(last).startMillis(), times[j]));
        } else {
          out.add(new TimeWindow(times[i], times[j]));
        }
        i = j + 1;
      }
      return out;
    }
  }
}
