package org.fedtel.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = {"Run an in-process federation of many sites; list-valued options span a sweep."})
final class SimulateCommand implements Callable<Integer> {
  @Option(names = "--sites", description = "Number of generated sites.") Integer sites;
  @Option(names = "--data", description = "Directory of real sites (one subdirectory or CSV file per site).") Path data;
  @Option(names = "--rounds", defaultValue = "20", description = "Rounds (default: ${DEFAULT-VALUE}).") int rounds;
  @Option(names = "--privacy", split = ",", defaultValue = "distributed", description = "local, distributed or none.") List<String> privacy;
  @Option(names = "--epsilon", split = ",", defaultValue = "4", description = "Target epsilon(s), 'inf' for none.") List<String> epsilon;
  @Option(names = "--delta", defaultValue = "1e-5", description = "Target delta (default: ${DEFAULT-VALUE}).") double delta;
  @Option(names = "--dropout", split = ",", defaultValue = "0", description = "Per-round dropout probability.") List<Double> dropout;
  @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;
  @Option(names = "--out", defaultValue = "fedtel-sim", description = "Output directory (default: ${DEFAULT-VALUE}).") Path out;

  @Override
  public Integer call() {
    throw NotYetAvailable.because("fedtel simulate", "the experiment engine is issue #9");
  }
}
