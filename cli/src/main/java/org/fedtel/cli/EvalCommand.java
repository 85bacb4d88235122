package org.fedtel.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true, description = "F1 / AUC / NAB score of a model or detector on labelled telemetry.")
final class EvalCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, description = "Telemetry CSV or directory.") Path input;
  @Option(names = "--windows", description = "NAB windows JSON.") Path windows;

  @Override
  public Integer call() {
    throw NotYetAvailable.because("fedtel eval", "evaluation is issue #6");
  }
}
