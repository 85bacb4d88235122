package org.fedtel.privacy.noise;

import java.util.random.RandomGenerator;

/**
 * Integer geometric sampling by binary search over the exact CDF, as in Google's "Secure Noise
 * Generation" (2020, §2.2): each step splits the remaining range where the conditional mass is
 * about one half and compares a uniform with that probability; the sample is never computed from a
 * uniform double by a transformation.
 */
final class Geometric {
  private Geometric() {}

  /** X ≥ 1 with P(X = k) ∝ e^{−λk}, capped at Long.MAX_VALUE. */
  static long sample(RandomGenerator random, double lambda) {
    // P(X ≤ MAX) = 1 − e^{−λ·MAX}; beyond that the tail is cut (probability < 2^-60 for λ ≥ 2^-3).
    if (random.nextDouble() > -Math.expm1(-lambda * Long.MAX_VALUE)) {
      return Long.MAX_VALUE;
    }
    long left = 0;
    long right = Long.MAX_VALUE;
    while (left + 1 < right) {
      // X ∈ (left, right]; choose mid with P(X ≤ mid | X ∈ (left, right]) close to 1/2.
      double m = left - (Math.log(0.5) + Math.log1p(Math.exp(lambda * (left - right)))) / lambda;
      long mid = (long) Math.ceil(m);
      if (mid <= left) {
        mid = left + 1;
      } else if (mid >= right) {
        mid = right - 1;
      }
      double q = Math.expm1(lambda * (left - mid)) / Math.expm1(lambda * (left - right));
      if (random.nextDouble() <= q) {
        right = mid;
      } else {
        left = mid;
      }
    }
    return right;
  }

  /** Z ∈ ℤ with P(Z = z) ∝ e^{−λ|z|} (the discrete Laplace / two-sided geometric). */
  static long twoSided(RandomGenerator random, double lambda) {
    while (true) {
      long y = sample(random, lambda) - 1; // y ≥ 0, P ∝ e^{−λy}
      boolean negative = random.nextBoolean();
      if (y == 0 && negative) {
        continue; // zero would otherwise be counted twice
      }
      return negative ? -y : y;
    }
  }
}
