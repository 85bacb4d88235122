package org.fedtel.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "data", mixinStandardHelpOptions = true,
    description = "Synthetic telemetry.", subcommands = DataCommand.Generate.class)
final class DataCommand {
  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Generate synthetic HPC node telemetry with labelled anomalies for N sites.")
  static final class Generate implements Callable<Integer> {
    @Option(names = "--sites", defaultValue = "4", description = "Sites (default: ${DEFAULT-VALUE}).") int sites;
    @Option(names = "--out", required = true, description = "Output directory.") Path out;
    @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).") long seed;

    @Override
    public Integer call() {
      throw NotYetAvailable.because("fedtel data generate", "the generator is issue #7");
    }
  }
}
