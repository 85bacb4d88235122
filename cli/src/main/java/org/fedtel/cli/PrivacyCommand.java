package org.fedtel.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedtel.privacy.accounting.PldAccountant;
import org.fedtel.privacy.accounting.RdpAccountant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "privacy", mixinStandardHelpOptions = true, description = "Privacy accounting.",
    subcommands = {PrivacyCommand.Epsilon.class, PrivacyCommand.NoiseMultiplier.class})
final class PrivacyCommand {
  @Command(name = "epsilon", mixinStandardHelpOptions = true, description = "Epsilon of the sampled Gaussian mechanism after T steps.")
  static final class Epsilon implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--sampling-rate", required = true, description = "Poisson sampling rate q in [0, 1].") double q;
    @Option(names = "--noise-multiplier", required = true, description = "Noise multiplier z = sigma / clip norm (>= 0).") double z;
    @Option(names = "--steps", required = true, description = "Number of steps T (>= 0).") long steps;
    @Option(names = "--delta", required = true, description = "Target delta in (0, 1).") double delta;
    @Option(names = "--accountant", defaultValue = "rdp", description = "rdp or pld (default: ${DEFAULT-VALUE}).") String accountant;
    @Option(names = "--json", description = "Print one JSON object instead of text.") boolean json;

    @Override
    public Integer call() {
      checkRate(q);
      if (!(z >= 0) || Double.isInfinite(z)) {
        throw new UserException("--noise-multiplier must be a finite number >= 0, got " + z);
      }
      checkSteps(steps);
      checkDelta(delta);
      PrintWriter out = spec.commandLine().getOut();
      switch (accountant) {
        case "rdp" -> {
          RdpAccountant acc = new RdpAccountant().composeSampledGaussian(q, z, steps);
          double eps = acc.epsilon(delta);
          double order = acc.optimalOrder(delta);
          if (json) {
            out.println(String.format(Locale.ROOT,
                "{\"accountant\":\"rdp\",\"sampling_rate\":%s,\"noise_multiplier\":%s,\"steps\":%d,\"delta\":%s,"
                    + "\"epsilon\":%s,\"optimal_order\":%s,\"conversion\":\"improved\"}",
                num(q), num(z), steps, num(delta), num(eps), num(order)));
          } else {
            out.println(String.format(Locale.ROOT, "epsilon = %.6f at delta = %s (RDP accountant, improved conversion, order %s; q = %s, z = %s, T = %d)",
                eps, num(delta), num(order), num(q), num(z), steps));
          }
        }
        case "pld" -> {
          double eps;
          try (Progress p = Progress.start("PLD composition", 1)) {
            eps = new PldAccountant().composeSampledGaussian(q, z, steps).epsilon(delta);
            p.advance(1);
          } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage(), e);
          }
          if (json) {
            out.println(String.format(Locale.ROOT,
                "{\"accountant\":\"pld\",\"sampling_rate\":%s,\"noise_multiplier\":%s,\"steps\":%d,\"delta\":%s,"
                    + "\"epsilon\":%s,\"discretization\":0.0001}",
                num(q), num(z), steps, num(delta), num(eps)));
          } else {
            out.println(String.format(Locale.ROOT, "epsilon = %.6f at delta = %s (PLD accountant, pessimistic, grid 1e-4; q = %s, z = %s, T = %d)",
                eps, num(delta), num(q), num(z), steps));
          }
        }
        default -> throw new UserException("--accountant must be rdp or pld, got '" + accountant + "'");
      }
      return 0;
    }
  }

  @Command(name = "noise-multiplier", mixinStandardHelpOptions = true, description = "Noise multiplier that reaches a target (epsilon, delta).")
  static final class NoiseMultiplier implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Option(names = "--epsilon", required = true, description = "Target epsilon (> 0).") double epsilon;
    @Option(names = "--delta", required = true, description = "Target delta in (0, 1).") double delta;
    @Option(names = "--sampling-rate", required = true, description = "Poisson sampling rate q in [0, 1].") double q;
    @Option(names = "--steps", required = true, description = "Number of steps T (>= 0).") long steps;
    @Option(names = "--json", description = "Print one JSON object instead of text.") boolean json;

    @Override
    public Integer call() {
      if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
        throw new UserException("--epsilon must be a finite number > 0, got " + epsilon);
      }
      checkDelta(delta);
      checkRate(q);
      checkSteps(steps);
      double z;
      try {
        z = RdpAccountant.noiseMultiplierFor(epsilon, delta, q, steps);
      } catch (IllegalArgumentException e) {
        throw new UserException(e.getMessage(), e);
      }
      double reached = new RdpAccountant().composeSampledGaussian(q, z, steps).epsilon(delta);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(String.format(Locale.ROOT,
            "{\"accountant\":\"rdp\",\"epsilon\":%s,\"delta\":%s,\"sampling_rate\":%s,\"steps\":%d,"
                + "\"noise_multiplier\":%s,\"epsilon_reached\":%s}",
            num(epsilon), num(delta), num(q), steps, num(z), num(reached)));
      } else {
        out.println(String.format(Locale.ROOT, "noise multiplier = %.6f (reaches epsilon = %.6f at delta = %s; RDP accountant; q = %s, T = %d)",
            z, reached, num(delta), num(q), steps));
      }
      return 0;
    }
  }

  private static void checkRate(double q) {
    if (!(q >= 0 && q <= 1)) {
      throw new UserException("--sampling-rate must be in [0, 1], got " + q);
    }
  }

  private static void checkSteps(long steps) {
    if (steps < 0) {
      throw new UserException("--steps must be >= 0, got " + steps);
    }
  }

  private static void checkDelta(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new UserException("--delta must be in (0, 1), got " + delta);
    }
  }

  /** A JSON/locale-neutral number: shortest round-trip form. */
  private static String num(double v) {
    if (Double.isInfinite(v)) {
      return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    }
    return Double.toString(v);
  }
}
