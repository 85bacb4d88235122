package org.fedtel.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import org.fedtel.telemetry.detect.AnomalyModel;
import org.fedtel.telemetry.detect.ModelFormatException;
import org.fedtel.telemetry.features.Windower;
import org.fedtel.telemetry.io.CsvLayout;
import org.fedtel.telemetry.io.TelemetryCsv;
import org.fedtel.telemetry.io.TelemetryFormatException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "detect", mixinStandardHelpOptions = true,
    description = {"Score telemetry with a model; write scores and flags.",
        "Streams the input: one CSV line out per window (node,timestamp,row,score,anomalous,label). "
            + "Train a model with 'fedtel eval --detector autoencoder --save-models DIR'."})
final class DetectCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model file.") Path model;
  @Option(names = "--input", required = true, description = "Telemetry CSV.") Path input;
  @Option(names = "--out", description = "Output CSV (default: stdout).") Path out;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    refuseOutputOverInput();
    AnomalyModel m;
    try {
      m = AnomalyModel.decode(Files.readAllBytes(model));
    } catch (IOException e) {
      throw new UserException("cannot read model " + model + ": " + e.getMessage(), e);
    } catch (ModelFormatException e) {
      throw new UserException(model + ": " + e.getMessage(), e);
    }
    CsvLayout layout;
    try {
      layout = TelemetryCsv.layout(input);
    } catch (IOException e) {
      throw new UserException("cannot read " + input + ": " + e.getMessage(), e);
    } catch (TelemetryFormatException e) {
      throw new UserException(e.getMessage(), e);
    }
    if (!layout.metrics().equals(m.metrics())) {
      throw new UserException(input + ": metrics " + layout.metrics() + " do not match the model's " + m.metrics());
    }
    long[] counts = new long[2];
    try (Writer w = out == null ? new NonClosing(spec.commandLine().getOut())
        : Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      PrintWriter pw = new PrintWriter(w);
      pw.println("node,timestamp,row,score,anomalous,label");
      AnomalyModel.Scorer scorer = m.scorer();
      Windower windower = new Windower(m.windows(), m.metrics().size(), (node, t, row, features, label) -> {
        double s = scorer.score(features);
        boolean a = scorer.isAnomalous(s);
        counts[0]++;
        if (a) {
          counts[1]++;
        }
        pw.print(csv(node));
        pw.print(',');
        pw.print(Instant.ofEpochMilli(t));
        pw.print(',');
        pw.print(row);
        pw.print(',');
        pw.print(s);
        pw.print(',');
        pw.print(a ? 1 : 0);
        pw.print(',');
        pw.println(label == null ? "" : csv(label));
      });
      TelemetryCsv.read(input, windower);
      pw.flush();
      if (pw.checkError()) {
        throw new UserException("write failed" + (out == null ? "" : " to " + out));
      }
    } catch (IOException | UncheckedIOException e) {
      throw new UserException("cannot read " + input + " or write output: " + e.getMessage(), e);
    } catch (TelemetryFormatException e) {
      throw new UserException(e.getMessage(), e);
    }
    if (out != null) {
      spec.commandLine().getErr().printf("%d windows scored, %d flagged (model %s), written to %s%n",
          counts[0], counts[1], m.sha256Hex().substring(0, 16), out);
    }
    return 0;
  }

  /** Opening --out truncates it, so --out naming the input would empty the input before it is read. */
  private void refuseOutputOverInput() {
    try {
      if (out != null && Files.exists(out) && Files.exists(input) && Files.isSameFile(out, input)) {
        throw new UserException("--out " + out + " is the input file " + input + "; write the scores elsewhere");
      }
    } catch (IOException e) {
      throw new UserException("cannot compare --out " + out + " with --input " + input + ": " + e.getMessage(), e);
    }
  }

  private static String csv(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }

  /** Writes to the command's stdout without closing it. */
  private static final class NonClosing extends Writer {
    private final PrintWriter target;

    NonClosing(PrintWriter target) {
      this.target = target;
    }

    @Override
    public void write(char[] buf, int off, int len) {
      target.write(buf, off, len);
    }

    @Override
    public void flush() {
      target.flush();
    }

    @Override
    public void close() {
      target.flush();
    }
  }
}
