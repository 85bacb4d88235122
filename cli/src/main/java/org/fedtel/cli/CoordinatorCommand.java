package org.fedtel.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "coordinator", mixinStandardHelpOptions = true,
    description = "Run the coordinator (wire port with mutual TLS, HTTP dashboard port).")
final class CoordinatorCommand implements Callable<Integer> {
  @Option(names = "--config", description = "Configuration file.") Path config;

  @Override
  public Integer call() {
    throw NotYetAvailable.because("fedtel coordinator", "the networked coordinator is issue #8");
  }
}
