package org.fedtel.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "privacy", mixinStandardHelpOptions = true, description = "Privacy accounting.",
    subcommands = {PrivacyCommand.Epsilon.class, PrivacyCommand.NoiseMultiplier.class})
final class PrivacyCommand {
  @Command(name = "epsilon", mixinStandardHelpOptions = true, description = "Epsilon of the sampled Gaussian mechanism after T steps.")
  static final class Epsilon implements Callable<Integer> {
    @Option(names = "--sampling-rate", required = true) double q;
    @Option(names = "--noise-multiplier", required = true) double z;
    @Option(names = "--steps", required = true) long steps;
    @Option(names = "--delta", required = true) double delta;
    @Option(names = "--accountant", defaultValue = "rdp", description = "rdp or pld (default: ${DEFAULT-VALUE}).") String accountant;

    @Override
    public Integer call() {
      throw NotYetAvailable.because("fedtel privacy epsilon", "accounting is issue #4");
    }
  }

  @Command(name = "noise-multiplier", mixinStandardHelpOptions = true, description = "Noise multiplier that reaches a target (epsilon, delta).")
  static final class NoiseMultiplier implements Callable<Integer> {
    @Option(names = "--epsilon", required = true) double epsilon;
    @Option(names = "--delta", required = true) double delta;
    @Option(names = "--sampling-rate", required = true) double q;
    @Option(names = "--steps", required = true) long steps;

    @Override
    public Integer call() {
      throw NotYetAvailable.because("fedtel privacy noise-multiplier", "accounting is issue #4");
    }
  }
}
