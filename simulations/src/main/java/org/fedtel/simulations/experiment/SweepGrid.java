package org.fedtel.simulations.experiment;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Expands list-valued options into the runs of a sweep: every combination of privacy mode, epsilon
 * and dropout as a private federated run, plus the baselines, each once per value it depends on.
 *
 * <p>All runs share the sweep's seed, so they train on the same sites, the same split and the same
 * initial model: differences between runs come from the swept options alone (a paired comparison).
 */
public final class SweepGrid {
  private SweepGrid() {}

  /**
   * A sweep whose sites drop out in a uniformly chosen phase (see {@link Dropout#anyPhase(double)}).
   *
   * @param privacyModes values of {@code --privacy}
   * @param epsilons values of {@code --epsilon} ({@code +Infinity} for none)
   * @param dropouts values of {@code --dropout}
   * @param baselines whether to add local-only, centralized and non-private federated runs
   */
  public static List<RunSpec> expand(
      List<String> privacyModes, List<Double> epsilons, double delta, List<Double> dropouts, long seed, boolean baselines) {
    requireNonEmpty("--dropout", dropouts);
    requireDistinct("--dropout", dropouts);
    return expandDropouts(privacyModes, epsilons, delta, Dropout.grid(dropouts, List.of(0.0), List.of(0.0), List.of(0.0),
        List.of(0.0)), seed, baselines);
  }

  /**
   * @param privacyModes values of {@code --privacy}
   * @param epsilons values of {@code --epsilon} ({@code +Infinity} for none)
   * @param dropouts the grid of dropout and straggler options ({@link Dropout#grid}), distinct
   * @param baselines whether to add local-only, centralized and non-private federated runs
   */
  public static List<RunSpec> expandDropouts(
      List<String> privacyModes, List<Double> epsilons, double delta, List<Dropout> dropouts, long seed, boolean baselines) {
    requireNonEmpty("--privacy", privacyModes);
    requireNonEmpty("--epsilon", epsilons);
    requireNonEmpty("dropout options", dropouts);
    requireDistinct("--privacy", privacyModes);
    requireDistinct("--epsilon", epsilons);
    requireDistinct("dropout options", dropouts);

    List<RunSpec> runs = new ArrayList<>();
    if (baselines) {
      runs.add(new RunSpec("local-only", RunKind.LOCAL_ONLY, "none", Double.POSITIVE_INFINITY, delta, Dropout.NONE, seed));
      runs.add(new RunSpec("centralized", RunKind.CENTRALIZED, "none", Double.POSITIVE_INFINITY, delta, Dropout.NONE, seed));
    }
    Set<Dropout> nonPrivateDropouts = new LinkedHashSet<>();
    if (baselines) {
      nonPrivateDropouts.addAll(dropouts);
    }
    for (Dropout dropout : dropouts) {
      for (String mode : privacyModes) {
        for (double epsilon : epsilons) {
          if (mode.equals("none") || Double.isInfinite(epsilon)) {
            nonPrivateDropouts.add(dropout);
            continue;
          }
          String id = String.format(Locale.ROOT, "federated_%s_eps%s_%s", mode, RunSpec.formatEpsilon(epsilon), dropout.idPart());
          runs.add(new RunSpec(id, RunKind.FEDERATED, mode, epsilon, delta, dropout, seed));
        }
      }
    }
    for (Dropout dropout : nonPrivateDropouts) {
      String id = "federated-nodp_" + dropout.idPart();
      runs.add(new RunSpec(id, RunKind.FEDERATED_NO_PRIVACY, "none", Double.POSITIVE_INFINITY, delta, dropout, seed));
    }
    return List.copyOf(runs);
  }

  /** Parses an epsilon list value: a positive number, or {@code inf}. */
  public static double parseEpsilon(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("inf") || t.equals("infinity") || t.equals("none")) {
      return Double.POSITIVE_INFINITY;
    }
    double e;
    try {
      e = Double.parseDouble(t);
    } catch (NumberFormatException ex) {
      throw new IllegalArgumentException("epsilon '" + text + "' is not a number or 'inf'");
    }
    if (!(e > 0) || Double.isNaN(e)) {
      throw new IllegalArgumentException("epsilon must be positive, was '" + text + "'");
    }
    return e;
  }

  private static void requireNonEmpty(String option, List<?> values) {
    if (values == null || values.isEmpty()) {
      throw new IllegalArgumentException(option + " needs at least one value");
    }
  }

  private static void requireDistinct(String option, List<?> values) {
    if (new LinkedHashSet<>(values).size() != values.size()) {
      throw new IllegalArgumentException(option + " lists a value twice: " + values);
    }
  }
}
