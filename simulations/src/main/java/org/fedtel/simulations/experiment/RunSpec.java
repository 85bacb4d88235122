package org.fedtel.simulations.experiment;

import java.util.Locale;
import java.util.Objects;

/**
 * One run of a sweep: a point of the grid of list-valued options, or one of the baselines.
 *
 * @param id stable name of the run, e.g. {@code federated_distributed_eps2_drop0.1}
 * @param kind what is trained
 * @param privacy privacy mode: {@code local}, {@code distributed} or {@code none}
 * @param epsilon target epsilon per site over all rounds ({@code +Infinity} without privacy)
 * @param delta target delta
 * @param dropout how sampled sites drop out of rounds and straggle
 * @param seed the seed of the run (data split, initialisation, sampling, noise)
 */
public record RunSpec(String id, RunKind kind, String privacy, double epsilon, double delta, Dropout dropout, long seed) {
  /** A run whose sites drop out in a uniformly chosen phase with probability {@code dropout}. */
  public RunSpec(String id, RunKind kind, String privacy, double epsilon, double delta, double dropout, long seed) {
    this(id, kind, privacy, epsilon, delta, Dropout.anyPhase(dropout), seed);
  }

  public RunSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(dropout, "dropout");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(privacy, "privacy");
    if (!(privacy.equals("local") || privacy.equals("distributed") || privacy.equals("none"))) {
      throw new IllegalArgumentException("privacy must be local, distributed or none, was '" + privacy + "'");
    }
    if (Double.isNaN(epsilon) || epsilon <= 0) {
      throw new IllegalArgumentException("epsilon must be > 0 (or infinite), was " + epsilon);
    }
    if (kind == RunKind.FEDERATED && (privacy.equals("none") || Double.isInfinite(epsilon))) {
      throw new IllegalArgumentException("a private federated run needs a privacy mode and a finite epsilon");
    }
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), was " + delta);
    }
  }

  /** Epsilon as written in results and commands: a number, or {@code inf}. */
  public String epsilonText() {
    return formatEpsilon(epsilon);
  }

  static String formatEpsilon(double epsilon) {
    if (Double.isInfinite(epsilon)) {
      return "inf";
    }
    return epsilon == Math.rint(epsilon) && Math.abs(epsilon) < 1e15
        ? Long.toString((long) epsilon)
        : String.format(Locale.ROOT, "%s", epsilon);
  }
}
