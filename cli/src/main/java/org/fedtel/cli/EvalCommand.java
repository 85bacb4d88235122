package org.fedtel.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.fedtel.telemetry.detect.DetectorSettings;
import org.fedtel.telemetry.eval.Confusion;
import org.fedtel.telemetry.eval.NabEvaluation;
import org.fedtel.telemetry.eval.NabEvaluation.Detector;
import org.fedtel.telemetry.eval.NabScorer;
import org.fedtel.telemetry.features.WindowSet;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.io.NabWindows;
import org.fedtel.telemetry.io.TelemetryFormatException;
import org.fedtel.telemetry.io.TimeWindow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"F1 / AUC / NAB score of a model or detector on labelled telemetry.",
        "Each file is one stream: the detector learns from its first 15 %% (NAB's probationary part, "
            + "which is not scored) and scores the rest. Labels come from a NAB windows JSON, or else from "
            + "the file's label column (each run of anomalous rows is one window)."})
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, description = "Telemetry CSV or directory of CSV files.") Path input;
  @Option(names = "--windows", description = "NAB windows JSON.") Path windows;
  @Option(names = "--detector", split = ",", defaultValue = "autoencoder",
      description = "autoencoder, gaussian or iforest; a comma-separated list compares several (default: ${DEFAULT-VALUE}).")
  List<String> detectors;
  @Option(names = "--window", defaultValue = "32", description = "Samples per window for autoencoder and iforest (default: ${DEFAULT-VALUE}).")
  int windowLength;
  @Option(names = "--epochs", defaultValue = "30", description = "Autoencoder training epochs (default: ${DEFAULT-VALUE}).")
  int epochs;
  @Option(names = "--percentile", defaultValue = "99", description = "Threshold percentile of training scores (default: ${DEFAULT-VALUE}).")
  double percentile;
  @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).") long seed;
  @Option(names = "--save-models", description = "Directory to write each file's trained autoencoder (<file>.model) for 'fedtel detect'.")
  Path saveModels;
  @Option(names = "--per-file", description = "Also print one line per file.") boolean perFile;
  @Option(names = "--json", description = "Print JSON.") boolean json;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    List<Detector> kinds = new ArrayList<>();
    for (String d : detectors) {
      try {
        Detector k = Detector.valueOf(d.trim().toUpperCase(Locale.ROOT));
        if (!kinds.contains(k)) {
          kinds.add(k);
        }
      } catch (IllegalArgumentException e) {
        throw new UserException("unknown detector '" + d + "' (expected autoencoder, gaussian or iforest)");
      }
    }
    if (windowLength < 1 || windowLength > WindowSpec.MAX_LENGTH || epochs < 1 || !(percentile > 0 && percentile <= 100)) {
      throw new UserException("--window must be in [1, " + WindowSpec.MAX_LENGTH
          + "], --epochs >= 1 and --percentile in (0, 100]");
    }
    List<Path> files = files();
    NabWindows labels = null;
    if (windows != null) {
      try {
        labels = NabWindows.read(windows);
        for (Path f : files) {
          if (!labels.covers(f.getFileName().toString())) {
            throw new UserException(windows + " has no entry for " + f.getFileName());
          }
        }
      } catch (IOException e) {
        throw new UserException("cannot read " + windows + ": " + e.getMessage(), e);
      } catch (TelemetryFormatException e) {
        throw new UserException(e.getMessage(), e);
      }
    }
    if (saveModels != null && !kinds.contains(Detector.AUTOENCODER)) {
      throw new UserException("--save-models needs --detector autoencoder");
    }
    DetectorSettings d = DetectorSettings.defaults();
    DetectorSettings ae = new DetectorSettings(d.hidden(), d.activation(), d.scaler(), epochs, d.batchSize(),
        d.learningRate(), d.error(), percentile);
    NabScorer scorer = NabScorer.standard();
    List<NabEvaluation.Result> results = new ArrayList<>();
    try (Progress p = Progress.start("eval", (long) files.size() * kinds.size())) {
      for (Detector kind : kinds) {
        NabEvaluation.Settings settings = new NabEvaluation.Settings(kind, windowLength, 1000, ae, 100, 256);
        SplittableRandom random = new SplittableRandom(seed);
        List<NabEvaluation.FileResult> perFileResults = new ArrayList<>();
        for (Path f : files) {
          try {
            // covers() above has checked every file's entry
            List<TimeWindow> w = labels == null ? null : labels.windowsFor(f.getFileName().toString());
            perFileResults.add(NabEvaluation.evaluateFile(f, w, settings, scorer, random.split()));
          } catch (IOException e) {
            throw new UserException("cannot read " + f + ": " + e.getMessage(), e);
          } catch (TelemetryFormatException e) {
            throw new UserException(e.getMessage(), e);
          } catch (IllegalArgumentException e) {
            // finite but huge values (1e308) overflow the detectors' sums and scores
            throw new UserException(f + ": cannot evaluate: " + e.getMessage() + " (are some values too large?)", e);
          }
          p.advance(1);
        }
        try {
          results.add(NabEvaluation.summarize(kind, perFileResults, scorer));
        } catch (IllegalArgumentException e) {
          throw new UserException("cannot score: " + e.getMessage(), e);
        }
      }
    }
    if (saveModels != null) {
      saveModels(results);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      if (results.size() == 1) {
        out.println(json(results.get(0)));
      } else {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < results.size(); i++) {
          sb.append(i == 0 ? "" : ",").append(json(results.get(i)));
        }
        out.println(sb.append(']'));
      }
    } else {
      printTable(out, results);
    }
    out.flush();
    return 0;
  }

  private List<Path> files() {
    if (Files.isDirectory(input)) {
      try {
        List<Path> f = WindowSet.csvFiles(input);
        if (f.isEmpty()) {
          throw new UserException(input + " holds no .csv files");
        }
        return f;
      } catch (IOException e) {
        throw new UserException("cannot list " + input + ": " + e.getMessage(), e);
      }
    }
    if (!Files.isRegularFile(input)) {
      throw new UserException(input + ": no such file or directory");
    }
    return List.of(input);
  }

  private void saveModels(List<NabEvaluation.Result> results) {
    try {
      Files.createDirectories(saveModels);
      for (NabEvaluation.Result r : results) {
        for (NabEvaluation.FileResult f : r.files()) {
          if (f.model() != null) {
            Files.write(saveModels.resolve(f.file() + ".model"), f.model().encode());
          }
        }
      }
    } catch (IOException e) {
      throw new UserException("cannot write models to " + saveModels + ": " + e.getMessage(), e);
    }
  }

  private void printTable(PrintWriter out, List<NabEvaluation.Result> results) {
    out.printf("%-12s %5s %9s %9s %6s %9s %6s %7s %6s%n", "detector", "files", "NAB", "NAB(opt)", "F1",
        "precision", "recall", "ROC-AUC", "PR-AUC");
    for (NabEvaluation.Result r : results) {
      Confusion c = r.confusion();
      out.printf(Locale.ROOT, "%-12s %5d %9.2f %9.2f %6.3f %9.3f %6.3f %7.3f %6.3f%n", name(r.detector()),
          r.files().size(), r.nabScore(), r.nabScoreOptimized(), c.f1(), c.precision(), c.recall(), r.rocAuc(),
          r.prAuc());
    }
    for (NabEvaluation.Result r : results) {
      StringBuilder types = new StringBuilder();
      new java.util.TreeMap<>(r.recallByType()).forEach((k, v) ->
          types.append(String.format(Locale.ROOT, " %s %.3f", k, v)));
      out.printf(Locale.ROOT, "%-12s recall by type:%s; detected %d of %d label windows, median delay %s%n",
          name(r.detector()), types, r.delay().detected(), r.delay().episodes(),
          Double.isNaN(r.delay().medianMillis()) ? "-" : String.format(Locale.ROOT, "%.0f s", r.delay().medianMillis() / 1000));
    }
    out.println("NAB: standard profile, each file's threshold from its probationary part; "
        + "NAB(opt): at the corpus-optimal threshold (NAB's optimize step). F1 etc. are per row after the "
        + "probationary part, a row being positive inside a label window.");
    if (perFile) {
      for (NabEvaluation.Result r : results) {
        out.printf("%n%s%n%-44s %6s %7s %9s %6s %7s%n", name(r.detector()), "file", "rows", "windows", "NAB", "F1",
            "ROC-AUC");
        for (NabEvaluation.FileResult f : r.files()) {
          out.printf(Locale.ROOT, "%-44s %6d %7d %9.2f %6.3f %7.3f%n", f.file(), f.rows(), f.windows(),
              f.nab().normalized(NabScorer.Profile.STANDARD), f.confusion().f1(), f.rocAuc());
        }
      }
    }
  }

  private static String name(Detector d) {
    return d.name().toLowerCase(Locale.ROOT);
  }

  private static String num(double v) {
    return Double.isFinite(v) ? Double.toString(v) : "null";
  }

  private static String quote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }

  private static String json(java.util.Map<String, Double> byType) {
    StringBuilder sb = new StringBuilder("{");
    new java.util.TreeMap<>(byType).forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append(quote(k))
        .append(':').append(num(v)));
    return sb.append('}').toString();
  }

  private static String json(org.fedtel.telemetry.eval.Metrics.DetectionDelay d) {
    return "{\"episodes\":" + d.episodes() + ",\"detected\":" + d.detected() + ",\"mean_seconds\":"
        + num(d.meanMillis() / 1000) + ",\"median_seconds\":" + num(d.medianMillis() / 1000) + "}";
  }

  private static String json(NabEvaluation.Result r) {
    Confusion c = r.confusion();
    StringBuilder sb = new StringBuilder();
    sb.append("{\"detector\":").append(quote(name(r.detector())))
        .append(",\"profile\":\"standard\"")
        .append(",\"nab_score\":").append(num(r.nabScore()))
        .append(",\"nab_score_optimized\":").append(num(r.nabScoreOptimized()))
        .append(",\"optimized_threshold\":").append(num(r.optimizedThreshold()))
        .append(",\"f1\":").append(num(c.f1()))
        .append(",\"precision\":").append(num(c.precision()))
        .append(",\"recall\":").append(num(c.recall()))
        .append(",\"roc_auc\":").append(num(r.rocAuc()))
        .append(",\"pr_auc\":").append(num(r.prAuc()))
        .append(",\"tp\":").append(c.tp()).append(",\"fp\":").append(c.fp())
        .append(",\"tn\":").append(c.tn()).append(",\"fn\":").append(c.fn())
        .append(",\"recall_by_type\":").append(json(r.recallByType()))
        .append(",\"detection_delay\":").append(json(r.delay()))
        .append(",\"files\":[");
    for (int i = 0; i < r.files().size(); i++) {
      NabEvaluation.FileResult f = r.files().get(i);
      Confusion fc = f.confusion();
      sb.append(i == 0 ? "" : ",")
          .append("{\"file\":").append(quote(f.file()))
          .append(",\"rows\":").append(f.rows())
          .append(",\"windows\":").append(f.windows())
          .append(",\"nab_score\":").append(num(f.nab().normalized(NabScorer.Profile.STANDARD)))
          .append(",\"nab_raw\":").append(num(f.nab().raw()))
          .append(",\"f1\":").append(num(fc.f1()))
          .append(",\"precision\":").append(num(fc.precision()))
          .append(",\"recall\":").append(num(fc.recall()))
          .append(",\"roc_auc\":").append(num(f.rocAuc()))
          .append(",\"pr_auc\":").append(num(f.prAuc()))
          .append(",\"threshold\":").append(num(f.threshold()))
          .append(",\"recall_by_type\":").append(json(f.recallByType()))
          .append(",\"detection_delay\":").append(json(f.delay()));
      if (f.model() != null) {
        sb.append(",\"model_sha256\":").append(quote(f.model().sha256Hex()));
      }
      sb.append('}');
    }
    return sb.append("]}").toString();
  }
}
