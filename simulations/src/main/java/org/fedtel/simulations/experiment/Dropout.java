package org.fedtel.simulations.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How sampled sites fail in a round of a simulated federation. Each sampled site, independently in
 * every round:
 *
 * <ol>
 *   <li>with probability {@code anyPhase} vanishes in one of the four secure-aggregation phases,
 *       chosen uniformly (before advertising its keys, after advertising, after sharing, after
 *       sending its masked input);
 *   <li>otherwise, having advertised its keys, vanishes before sharing with probability
 *       {@code afterAdvertise}; having sent its shares, vanishes before training and masking with
 *       probability {@code afterShare}; having sent its masked input, vanishes before revealing its
 *       unmasking shares with probability {@code afterMask} (each a probability given that the site
 *       got that far);
 *   <li>a site that got as far as masking is a straggler with probability {@code stragglers}: it
 *       trains, spends its budget and sends its data-use record and masked input, but they arrive
 *       after the masking phase's deadline, so the coordinator has already cut it.
 * </ol>
 *
 * A vanished site stays silent for the rest of the round and the coordinator drops it at the phase
 * deadline, as it would a dead site agent.
 *
 * @param anyPhase {@code --dropout}
 * @param afterAdvertise {@code --dropout-after-advertise}
 * @param afterShare {@code --dropout-after-share}
 * @param afterMask {@code --dropout-after-mask}
 * @param stragglers {@code --stragglers}
 */
public record Dropout(double anyPhase, double afterAdvertise, double afterShare, double afterMask, double stragglers) {
  /** Nobody drops out. */
  public static final Dropout NONE = new Dropout(0, 0, 0, 0, 0);

  public Dropout {
    check("--dropout", anyPhase);
    check("--dropout-after-advertise", afterAdvertise);
    check("--dropout-after-share", afterShare);
    check("--dropout-after-mask", afterMask);
    check("--stragglers", stragglers);
  }

  /** Dropout in a uniformly chosen phase only. */
  public static Dropout anyPhase(double probability) {
    return new Dropout(probability, 0, 0, 0, 0);
  }

  /** Whether a site can fail at all. */
  public boolean any() {
    return anyPhase > 0 || afterAdvertise > 0 || afterShare > 0 || afterMask > 0 || stragglers > 0;
  }

  /**
   * The part of a run id naming these values: {@code drop<p>}, then each per-phase probability and
   * the straggler probability that is not zero ({@code _adv}, {@code _shr}, {@code _msk},
   * {@code _strag}).
   */
  public String idPart() {
    StringBuilder b = new StringBuilder("drop").append(anyPhase);
    append(b, "adv", afterAdvertise);
    append(b, "shr", afterShare);
    append(b, "msk", afterMask);
    append(b, "strag", stragglers);
    return b.toString();
  }

  /** A short description for charts. */
  public String label() {
    StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "dropout %s", anyPhase));
    if (afterAdvertise > 0) {
      b.append(String.format(Locale.ROOT, ", after advertise %s", afterAdvertise));
    }
    if (afterShare > 0) {
      b.append(String.format(Locale.ROOT, ", after share %s", afterShare));
    }
    if (afterMask > 0) {
      b.append(String.format(Locale.ROOT, ", after mask %s", afterMask));
    }
    if (stragglers > 0) {
      b.append(String.format(Locale.ROOT, ", stragglers %s", stragglers));
    }
    return b.toString();
  }

  /** Every combination of the values of the five options, the last option varying fastest. */
  public static List<Dropout> grid(List<Double> anyPhase, List<Double> afterAdvertise, List<Double> afterShare,
                                   List<Double> afterMask, List<Double> stragglers) {
    requireValues("--dropout", anyPhase);
    requireValues("--dropout-after-advertise", afterAdvertise);
    requireValues("--dropout-after-share", afterShare);
    requireValues("--dropout-after-mask", afterMask);
    requireValues("--stragglers", stragglers);
    List<Dropout> out = new ArrayList<>();
    for (double a : anyPhase) {
      for (double adv : afterAdvertise) {
        for (double shr : afterShare) {
          for (double msk : afterMask) {
            for (double s : stragglers) {
              out.add(new Dropout(a, adv, shr, msk, s));
            }
          }
        }
      }
    }
    return List.copyOf(out);
  }

  private static void requireValues(String option, List<Double> values) {
    if (values == null || values.isEmpty()) {
      throw new IllegalArgumentException(option + " needs at least one value");
    }
    if (new java.util.HashSet<>(values).size() != values.size()) {
      throw new IllegalArgumentException(option + " lists a value twice: " + values);
    }
    for (Double v : values) {
      check(option, v);
    }
  }

  private static void append(StringBuilder b, String name, double p) {
    if (p > 0) {
      b.append('_').append(name).append(p);
    }
  }

  private static void check(String option, double p) {
    if (!(p >= 0 && p < 1)) {
      throw new IllegalArgumentException(option + " must be a probability in [0, 1), was " + p);
    }
  }
}
