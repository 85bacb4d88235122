package org.fedtel.simulations.experiment;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Writes {@code results.csv}: a header, then one row per run and round (schema in
 * docs/SIMULATIONS.md). A run's rows are written together when the run has finished and flushed to
 * the file system at once, so an interrupted sweep leaves exactly the complete runs.
 *
 * <p>Numbers are formatted with a fixed locale and precision, so the same seed gives the same bytes
 * in every column but {@code round_millis}.
 */
public final class ResultsCsv implements AutoCloseable {
  /** The columns, in order. */
  public static final List<String> COLUMNS = List.of(
      "run_id", "kind", "privacy", "epsilon_target", "delta", "dropout", "dropout_after_advertise",
      "dropout_after_share", "dropout_after_mask", "stragglers", "seed", "round",
      "train_loss", "f1", "precision", "recall", "roc_auc", "pr_auc",
      "epsilon_max", "epsilon_max_site_view", "epsilon_per_site", "sampled", "survivors",
      "dropped_advertise", "dropped_share", "dropped_mask", "dropped_unmask", "stragglers_cut",
      "recall_by_type", "round_millis",
      // Appended after round_millis so that readers by position keep working.
      "federated_statistics", "threshold_source", "threshold");

  private final BufferedWriter out;

  private ResultsCsv(BufferedWriter out) {
    this.out = out;
  }

  /** Creates (or replaces) the file and writes the header. */
  public static ResultsCsv create(Path file) throws IOException {
    BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    w.write(String.join(",", COLUMNS));
    w.write('\n');
    w.flush();
    return new ResultsCsv(w);
  }

  /** Appends all rows of one finished run and flushes them. */
  public synchronized void writeRun(RunSpec spec, List<RoundRecord> rounds) {
    try {
      StringBuilder sb = new StringBuilder();
      for (RoundRecord r : rounds) {
        if (!r.runId().equals(spec.id())) {
          throw new IllegalArgumentException("round record of run " + r.runId() + " given for run " + spec.id());
        }
        sb.append(row(spec, r)).append('\n');
      }
      out.write(sb.toString());
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CSV row of one round record (without a line end). */
  public static String row(RunSpec spec, RoundRecord r) {
    StringJoiner j = new StringJoiner(",");
    j.add(spec.id()).add(spec.kind().label()).add(spec.privacy()).add(spec.epsilonText())
        .add(num(spec.delta())).add(num(spec.dropout().anyPhase())).add(num(spec.dropout().afterAdvertise()))
        .add(num(spec.dropout().afterShare())).add(num(spec.dropout().afterMask())).add(num(spec.dropout().stragglers()))
        .add(Long.toString(spec.seed()))
        .add(Integer.toString(r.round()))
        .add(fixed(r.trainLoss())).add(fixed(r.quality().f1())).add(fixed(r.quality().precision()))
        .add(fixed(r.quality().recall())).add(fixed(r.quality().rocAuc())).add(fixed(r.quality().prAuc()))
        .add(fixed(r.maxEpsilon())).add(fixed(r.maxEpsilonChargedBySite()));
    StringJoiner eps = new StringJoiner(";");
    for (double e : r.epsilonPerSite()) {
      eps.add(fixed(e));
    }
    j.add(eps.toString()).add(Integer.toString(r.sampled())).add(Integer.toString(r.survivors()));
    for (int d : r.droppedByPhase()) {
      j.add(Integer.toString(d));
    }
    j.add(Integer.toString(r.stragglersCut()));
    StringJoiner types = new StringJoiner(";");
    for (Map.Entry<String, Double> e : r.quality().recallByType().entrySet()) {
      types.add(e.getKey() + "=" + fixed(e.getValue()));
    }
    j.add(types.toString()).add(Long.toString(r.roundMillis()));
    boolean federatedThreshold = !Double.isNaN(r.federatedThreshold());
    j.add(r.federatedStatistics() ? "1" : "0").add(federatedThreshold ? "federated" : "site_p99")
        .add(fixed(r.federatedThreshold()));
    return j.toString();
  }

  static String fixed(double v) {
    if (Double.isNaN(v)) {
      return "nan";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "inf" : "-inf";
    }
    // Fixed point for ordinary magnitudes; scientific for a diverged model's losses.
    return Math.abs(v) < 1e9 ? String.format(Locale.ROOT, "%.6f", v) : String.format(Locale.ROOT, "%.6e", v);
  }

  private static String num(double v) {
    return String.format(Locale.ROOT, "%s", v);
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
