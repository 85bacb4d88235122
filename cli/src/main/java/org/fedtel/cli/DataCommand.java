package org.fedtel.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fedtel.simulations.generator.AnomalyType;
import org.fedtel.simulations.generator.GenerationSummary;
import org.fedtel.simulations.generator.GeneratorConfig;
import org.fedtel.simulations.generator.TelemetryGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "data", mixinStandardHelpOptions = true,
    description = "Synthetic telemetry.", subcommands = DataCommand.Generate.class)
final class DataCommand {
  @Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
      description = {
        "Generate synthetic HPC node telemetry with labelled HPAS anomalies for N sites.",
        "Writes DIR/site-NNN/node-NNNN.csv (timestamp,node,<metrics>,label; Unix seconds), "
            + "DIR/site-NNN/site.json (hardware, application mix, anomaly episodes with intensity) and "
            + "DIR/manifest.json (seed, parameters, label counts). The same options give byte-identical "
            + "output. See docs/DATA.md."
      })
  static final class Generate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--sites", defaultValue = "4", description = "Sites (default: ${DEFAULT-VALUE}).")
    int sites;

    @Option(names = "--nodes-per-site", defaultValue = "16",
        description = "Nodes per site; the median when --size-spread > 0 (default: ${DEFAULT-VALUE}).")
    int nodesPerSite;

    @Option(names = "--duration", defaultValue = "1d",
        description = "Time span: seconds, or a number with s, m, h or d (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--interval", defaultValue = "10s",
        description = "Sampling interval, whole seconds: 10, 10s, 1m (default: ${DEFAULT-VALUE}).")
    String interval;

    @Option(names = "--anomaly-rate", defaultValue = "0.05",
        description = "Share of node-samples labelled anomalous, 0 to 0.5 (default: ${DEFAULT-VALUE}).")
    double anomalyRate;

    @Option(names = "--non-iid", defaultValue = "1.0", paramLabel = "ALPHA",
        description = "Dirichlet concentration of each site's application mix; lower = more non-IID "
            + "(default: ${DEFAULT-VALUE}).")
    double nonIid;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "DIR",
        description = "Output directory (created; must be empty if it exists).")
    Path out;

    @Option(names = "--size-spread", defaultValue = "0",
        description = "Standard deviation of log10(site size); 1 makes sizes differ by orders of magnitude "
            + "(default: ${DEFAULT-VALUE}).")
    double sizeSpread;

    @Option(names = "--anomaly-types", split = ",", paramLabel = "TYPE",
        description = "Anomaly types to inject (default: all): cpuoccupy, cachecopy, membw, memleak, memeater, "
            + "iometadata, iobandwidth, netoccupy.")
    List<String> anomalyTypes;

    @Option(names = "--intensity-min", defaultValue = "0.2",
        description = "Lowest anomaly intensity, in (0, 1] (default: ${DEFAULT-VALUE}).")
    double intensityMin;

    @Option(names = "--intensity-max", defaultValue = "1.0",
        description = "Highest anomaly intensity, in (0, 1] (default: ${DEFAULT-VALUE}).")
    double intensityMax;

    @Option(names = "--start", defaultValue = "2026-01-01T00:00:00Z",
        description = "First timestamp: ISO-8601 instant or Unix seconds (default: ${DEFAULT-VALUE}).")
    String start;

    @Option(names = "--threads", description = "Worker threads (default: available processors).")
    Integer threads;

    @Override
    public Integer call() {
      GeneratorConfig config = config();
      TelemetryGenerator generator = new TelemetryGenerator(config);
      int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
      if (workers < 1) {
        throw new UserException("--threads must be at least 1, was " + workers);
      }
      long t0 = System.nanoTime();
      GenerationSummary summary;
      try (Progress progress = Progress.start("generating", generator.totalNodes())) {
        summary = generator.writeTo(out, workers, progress::advance);
      } catch (DirectoryNotEmptyException e) {
        throw new UserException("--out " + out + " is not empty; choose a new directory", e);
      } catch (NotDirectoryException e) {
        throw new UserException("--out " + out + " is a file, not a directory", e);
      } catch (IOException e) {
        throw new UserException("cannot write " + out + ": " + e, e);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      PrintWriter w = spec.commandLine().getOut();
      w.printf(Locale.ROOT, "wrote %d sites, %d nodes, %d samples (%d anomalous, %.2f%%) to %s in %.1f s%n",
          config.sites(), generator.totalNodes(), summary.samples(), summary.anomalous(),
          summary.samples() == 0 ? 0.0 : 100.0 * summary.anomalous() / summary.samples(), out, seconds);
      StringBuilder b = new StringBuilder("label counts: normal ").append(summary.samples() - summary.anomalous());
      for (Map.Entry<AnomalyType, Long> e : summary.anomalousSamples().entrySet()) {
        b.append(", ").append(e.getKey().label()).append(' ').append(e.getValue());
      }
      w.println(b);
      w.flush();
      return 0;
    }

    GeneratorConfig config() {
      List<AnomalyType> types = new ArrayList<>();
      if (anomalyTypes == null) {
        types.addAll(List.of(AnomalyType.values()));
      } else {
        for (String t : anomalyTypes) {
          try {
            types.add(AnomalyType.ofLabel(t.trim().toLowerCase(Locale.ROOT)));
          } catch (IllegalArgumentException e) {
            throw new UserException("--anomaly-types: " + e.getMessage());
          }
        }
      }
      long durationSeconds = seconds("--duration", duration);
      long intervalSeconds = seconds("--interval", interval);
      if (intervalSeconds > Integer.MAX_VALUE) {
        throw new UserException("--interval " + interval + " is too long");
      }
      try {
        return GeneratorConfig.builder().sites(sites).nodesPerSite(nodesPerSite).durationSeconds(durationSeconds)
            .intervalSeconds((int) intervalSeconds).anomalyRate(anomalyRate).nonIidAlpha(nonIid).seed(seed)
            .sizeSpread(sizeSpread).startEpochSecond(startSeconds()).anomalyTypes(types)
            .intensity(intensityMin, intensityMax).build();
      } catch (IllegalArgumentException e) {
        throw new UserException(e.getMessage());
      }
    }

    private long startSeconds() {
      String s = start.trim();
      if (s.matches("\\d{1,12}")) {
        return Long.parseLong(s);
      }
      try {
        return Instant.parse(s).getEpochSecond();
      } catch (DateTimeParseException e) {
        throw new UserException("--start '" + start + "' is neither an ISO-8601 instant (2026-01-01T00:00:00Z) "
            + "nor Unix seconds");
      }
    }

    /** Parses 90, 90s, 15m, 6h, 1d into seconds. */
    static long seconds(String option, String text) {
      String s = text.trim().toLowerCase(Locale.ROOT);
      long unit = 1;
      if (!s.isEmpty() && "smhd".indexOf(s.charAt(s.length() - 1)) >= 0) {
        unit = switch (s.charAt(s.length() - 1)) {
          case 'm' -> 60;
          case 'h' -> 3600;
          case 'd' -> 86_400;
          default -> 1;
        };
        s = s.substring(0, s.length() - 1);
      }
      if (!s.matches("\\d{1,9}")) {
        throw new UserException(option + " '" + text + "' is not a whole number of seconds, minutes (m), "
            + "hours (h) or days (d)");
      }
      long v = Long.parseLong(s) * unit;
      if (v <= 0) {
        throw new UserException(option + " must be positive, was '" + text + "'");
      }
      return v;
    }
  }
}
