package org.fedtel.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "A consortium of 4 sites and a coordinator on loopback: mutual TLS, secure "
        + "aggregation, distributed DP and the ledger; prints progress and results.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--out", defaultValue = "fedtel-demo", description = "Output directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() {
    throw NotYetAvailable.because("fedtel demo", "the networked federation is issue #8");
  }
}
