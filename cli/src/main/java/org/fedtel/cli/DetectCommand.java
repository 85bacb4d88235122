package org.fedtel.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "detect", mixinStandardHelpOptions = true, description = "Score telemetry with a model; write scores and flags.")
final class DetectCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model file.") Path model;
  @Option(names = "--input", required = true, description = "Telemetry CSV.") Path input;
  @Option(names = "--out", description = "Output CSV (default: stdout).") Path out;

  @Override
  public Integer call() {
    throw NotYetAvailable.because("fedtel detect", "scoring is issue #6");
  }
}
