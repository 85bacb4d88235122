package org.fedtel.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "site", mixinStandardHelpOptions = true, description = "Run one site agent.")
final class SiteCommand implements Callable<Integer> {
  @Option(names = "--config", description = "Configuration file.") Path config;

  @Override
  public Integer call() {
    throw NotYetAvailable.because("fedtel site", "the networked site agent is issue #8");
  }
}
