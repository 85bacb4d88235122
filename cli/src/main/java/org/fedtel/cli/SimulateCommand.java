package org.fedtel.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.fedtel.simulations.experiment.Dropout;
import org.fedtel.simulations.experiment.Report;
import org.fedtel.simulations.experiment.ResultsCsv;
import org.fedtel.simulations.experiment.RunSpec;
import org.fedtel.simulations.experiment.Sweep;
import org.fedtel.simulations.experiment.SweepGrid;
import org.fedtel.simulations.federation.InProcessFederation;
import org.fedtel.simulations.federation.SimulationRunner;
import org.fedtel.simulations.federation.SimulationSettings;
import org.fedtel.simulations.federation.SiteData;
import org.fedtel.simulations.federation.Sites;
import org.fedtel.simulations.generator.GeneratorConfig;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.io.TelemetryFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
      "An in-process federation of many sites on the same coordinator and site-agent engines as the "
          + "network deployment (secure aggregation, DP accounting, dropouts). List-valued options "
          + "(--privacy, --epsilon, --dropout, --dropout-after-*, --stragglers) span a sweep; local-only, centralized and non-private "
          + "federated baselines run on the same split. Writes OUT/results.csv and OUT/report.html "
          + "(docs/SIMULATIONS.md)."
    })
final class SimulateCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(SimulateCommand.class);

  @Spec CommandSpec spec;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(names = "--sites", description = "Number of generated sites (synthetic HPC telemetry).") Integer sites;
    @Option(names = "--data", paramLabel = "DIR",
        description = "Real sites: each subdirectory or CSV file of DIR is one site (any format the readers accept).")
    Path data;
  }

  @Option(names = "--windows", paramLabel = "JSON", description = "With --data: NAB label windows instead of a label column.")
  Path windows;

  @Option(names = "--nodes-per-site", defaultValue = "2", description = "Generated nodes per site (default: ${DEFAULT-VALUE}).")
  int nodesPerSite;

  @Option(names = "--duration", defaultValue = "12h", description = "Generated time span; the first half trains (default: ${DEFAULT-VALUE}).")
  String duration;

  @Option(names = "--interval", defaultValue = "30s", description = "Generated sampling interval (default: ${DEFAULT-VALUE}).")
  String interval;

  @Option(names = "--anomaly-rate", defaultValue = "0.1", description = "Generated anomalous share (default: ${DEFAULT-VALUE}).")
  double anomalyRate;

  @Option(names = "--non-iid", defaultValue = "0.3", paramLabel = "ALPHA",
      description = "Dirichlet concentration of generated application mixes; lower = more non-IID (default: ${DEFAULT-VALUE}).")
  double nonIid;

  @Option(names = "--rounds", defaultValue = "10", description = "Rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--local-epochs", defaultValue = "2", description = "Local epochs per round (default: ${DEFAULT-VALUE}).")
  int localEpochs;

  @Option(names = "--batch-size", defaultValue = "32", description = "Local batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--learning-rate", defaultValue = "0.05", description = "Local SGD learning rate (default: ${DEFAULT-VALUE}).")
  double learningRate;

  @Option(names = "--strategy", defaultValue = "fedavg", description = "fedavg, fedavgm, fedprox, fedadam, fedyogi, fedadagrad (default: ${DEFAULT-VALUE}).")
  String strategy;

  @Option(names = "--sample-rate", defaultValue = "1.0", description = "Share of sites sampled per round, at least 3 (default: ${DEFAULT-VALUE}).")
  double sampleRate;

  @Option(names = "--clip", defaultValue = "1.0", description = "L2 clip norm of an update (distributed) (default: ${DEFAULT-VALUE}).")
  double clip;

  @Option(names = "--privacy", split = ",", defaultValue = "distributed", description = "local, distributed and/or none (default: ${DEFAULT-VALUE}).")
  List<String> privacy;

  @Option(names = "--epsilon", split = ",", defaultValue = "8,inf", description = "Target epsilon(s) per site over all rounds; inf = no DP (default: ${DEFAULT-VALUE}).")
  List<String> epsilon;

  @Option(names = "--delta", defaultValue = "1e-5", description = "Target delta (default: ${DEFAULT-VALUE}).")
  double delta;

  @Option(names = "--dropout", split = ",", defaultValue = "0",
      description = "Probability that a sampled site drops out of a round, in a uniformly chosen secure-aggregation phase (default: ${DEFAULT-VALUE}).")
  List<Double> dropout;

  @Option(names = "--dropout-after-advertise", split = ",", defaultValue = "0", paramLabel = "P",
      description = "Probability that a site that advertised its keys vanishes before sending its shares (default: ${DEFAULT-VALUE}).")
  List<Double> dropoutAfterAdvertise;

  @Option(names = "--dropout-after-share", split = ",", defaultValue = "0", paramLabel = "P",
      description = "Probability that a site that sent its shares vanishes before training and masking (default: ${DEFAULT-VALUE}).")
  List<Double> dropoutAfterShare;

  @Option(names = "--dropout-after-mask", split = ",", defaultValue = "0", paramLabel = "P",
      description = "Probability that a site that sent its masked input vanishes before unmasking (default: ${DEFAULT-VALUE}).")
  List<Double> dropoutAfterMask;

  @Option(names = "--stragglers", split = ",", defaultValue = "0", paramLabel = "P",
      description = "Probability that a site reaching the masking phase is a straggler: it trains and pays, but its "
          + "masked input arrives after the deadline and is cut (default: ${DEFAULT-VALUE}).")
  List<Double> stragglers;

  @Option(names = "--federated-statistics",
      description = "Federated runs fit one feature scaling and the final model's detection threshold in the deployed "
          + "federation's statistics rounds (record-level DP, z = 3, charged to each site's epsilon; exact without DP) "
          + "instead of each site alone; the training noise is calibrated to the rest of the target epsilon "
          + "(docs/SIMULATIONS.md). Default: off.")
  boolean federatedStatistics;

  @Option(names = "--no-baselines", description = "Skip the local-only, centralized and non-private runs.")
  boolean noBaselines;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the sweep (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--threads", description = "Runs in parallel (default: the number of cores).")
  Integer threads;

  @Option(names = "--site-threads", paramLabel = "N",
      description = "Threads for the sites' local work inside a federated run, shared by all runs (default: the number of cores).")
  Integer siteThreads;

  @Option(names = "--out", defaultValue = "fedtel-sim", description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    List<Double> epsilons = new ArrayList<>();
    List<RunSpec> runs;
    SimulationSettings settings;
    try {
      for (String e : epsilon) {
        epsilons.add(SweepGrid.parseEpsilon(e));
      }
      runs = SweepGrid.expandDropouts(privacy, epsilons, delta,
          Dropout.grid(dropout, dropoutAfterAdvertise, dropoutAfterShare, dropoutAfterMask, stragglers), seed, !noBaselines);
      settings = new SimulationSettings(rounds, localEpochs, batchSize, learningRate, strategy, sampleRate, clip, 32,
          federatedStatistics);
      if (federatedStatistics) {
        for (RunSpec r : runs) {
          if (r.kind() == org.fedtel.simulations.experiment.RunKind.FEDERATED) {
            InProcessFederation.requireRoomForStatistics(r);
          }
        }
      }
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage());
    }
    int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    if (threadCount < 1) {
      throw new UserException("--threads must be >= 1, was " + threadCount);
    }
    int siteThreadCount = siteThreads == null ? Runtime.getRuntime().availableProcessors() : siteThreads;
    if (siteThreadCount < 1) {
      throw new UserException("--site-threads must be >= 1, was " + siteThreadCount);
    }
    List<SiteData> sites = loadSites();
    LOG.info("{} sites, {} features per window, {} runs x {} rounds", sites.size(), sites.get(0).features(), runs.size(), rounds);
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      throw new UserException("cannot create --out " + out + ": " + e.getMessage(), e);
    }
    // originalArgs() are the whole command line, the subcommand's name included
    String command = shellCommand(spec.commandLine().getParseResult().originalArgs());
    Path csv = out.resolve("results.csv");
    Path html = out.resolve("report.html");
    AtomicBoolean finished = new AtomicBoolean();
    try (ResultsCsv results = ResultsCsv.create(csv);
         Progress progress = Progress.start("simulate", (long) runs.size() * rounds);
         SimulationRunner runner = new SimulationRunner(sites, settings, siteThreadCount, r -> progress.advance(1))) {
      Sweep sweep = new Sweep(runner, threadCount);
      // Ctrl-C: keep every finished run and draw the report from them.
      Thread hook = new Thread(() -> {
        if (!finished.get()) {
          List<Report.Run> done = sweep.flushFinished();
          try {
            Report.write(html, "fedtel simulation (interrupted: " + done.size() + " of " + runs.size() + " runs)", command, done);
          } catch (IOException e) {
            System.err.println("fedtel: could not write the report: " + e.getMessage());
          }
          System.err.println("fedtel: interrupted; " + done.size() + " finished runs kept in " + csv);
        }
      }, "fedtel-simulate-interrupt");
      Runtime.getRuntime().addShutdownHook(hook);
      List<Report.Run> done;
      try {
        done = sweep.run(runs, results, (specDone, r) -> LOG.info("run {} finished", specDone.id()));
      } catch (Sweep.SweepException e) {
        throw new UserException(e.getMessage(), e.getCause());
      } finally {
        finished.set(true);
        Runtime.getRuntime().removeShutdownHook(hook);
      }
      Report.write(html, "fedtel simulation", command, done);
      printSummary(done);
    }
    spec.commandLine().getOut().println("wrote " + csv + " and " + html);
    return 0;
  }

  /** {@code fedtel ARGS} as a POSIX shell would run it: arguments other than plain words in single quotes. */
  static String shellCommand(List<String> args) {
    StringBuilder sb = new StringBuilder("fedtel");
    for (String a : args) {
      sb.append(' ');
      if (!a.isEmpty() && a.matches("[A-Za-z0-9_@%+=:,./-]+")) {
        sb.append(a);
      } else {
        sb.append('\'').append(a.replace("'", "'\\''")).append('\'');
      }
    }
    return sb.toString();
  }

  private List<SiteData> loadSites() {
    WindowSpec windowSpec = new WindowSpec(12, 6, FeatureMode.STATISTICS);
    if (windows != null && source.data == null) {
      throw new UserException("--windows needs --data (generated sites carry their own labels)");
    }
    if (source.sites != null) {
      if (source.sites < 3) {
        throw new UserException("--sites must be >= 3, was " + source.sites);
      }
      GeneratorConfig config;
      try {
        config = GeneratorConfig.builder().sites(source.sites).nodesPerSite(nodesPerSite)
            .durationSeconds(DataCommand.Generate.seconds("--duration", duration))
            .intervalSeconds((int) DataCommand.Generate.seconds("--interval", interval))
            .anomalyRate(anomalyRate).nonIidAlpha(nonIid).seed(seed).build();
      } catch (IllegalArgumentException e) {
        throw new UserException(e.getMessage());
      }
      try (Progress p = Progress.start("generate sites", 1)) {
        List<SiteData> sites = Sites.generated(config, windowSpec);
        p.advance(1);
        return sites;
      }
    }
    if (windows != null && !Files.isRegularFile(windows)) {
      throw new UserException("--windows " + windows + " is not a file");
    }
    try {
      Sites.Loaded loaded = Sites.fromDirectory(source.data, windowSpec, windows);
      LOG.info("federated metrics: {}", loaded.schema().metrics());
      for (String left : loaded.schema().leftOut()) {
        LOG.warn("left out: {}", left);
      }
      return loaded.sites();
    } catch (TelemetryFormatException e) {
      throw new UserException(e.getMessage(), e);
    } catch (IOException e) {
      throw new UserException("cannot read --data " + source.data + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
  }

  private void printSummary(List<Report.Run> runs) {
    var w = spec.commandLine().getOut();
    w.printf(Locale.ROOT, "%-40s %6s %6s %8s %8s%n", "run", "F1", "ROC", "PR-AUC", "max eps");
    for (Report.Run r : runs) {
      var last = r.rounds().get(r.rounds().size() - 1);
      w.printf(Locale.ROOT, "%-40s %6.3f %6.3f %8.3f %8.3f%n", r.spec().id(), last.quality().f1(), last.quality().rocAuc(),
          last.quality().prAuc(), last.maxEpsilon());
    }
  }
}
