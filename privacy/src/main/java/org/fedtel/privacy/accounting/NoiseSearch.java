package org.fedtel.privacy.accounting;

import java.util.function.DoubleUnaryOperator;

/** Bisection for the smallest noise multiplier whose ε (decreasing in z) is at most a target. */
final class NoiseSearch {
  private NoiseSearch() {}

  static double smallest(double targetEpsilon, DoubleUnaryOperator epsilonOfZ) {
    // Bracket [lo, hi] with hi = 2·lo, ε(lo) > target ≥ ε(hi), never evaluating far below the answer
    // (tiny multipliers make the PLD very wide).
    double hi = 1;
    while (epsilonOfZ.applyAsDouble(hi) > targetEpsilon) {
      hi *= 2;
      if (hi > 1e6) {
        throw new IllegalArgumentException("no noise multiplier up to 1e6 reaches epsilon " + targetEpsilon);
      }
    }
    double lo = hi / 2;
    while (epsilonOfZ.applyAsDouble(lo) <= targetEpsilon) {
      hi = lo;
      lo /= 2;
      if (lo < 1e-6) {
        return hi;
      }
    }
    while (hi - lo > 1e-6 * hi) {
      double mid = 0.5 * (lo + hi);
      if (epsilonOfZ.applyAsDouble(mid) > targetEpsilon) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi; // hi always satisfies the target: the conservative end.
  }
}
