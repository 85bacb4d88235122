package org.fedtel.privacy.aggregate;

import java.util.random.RandomGenerator;

/** Builder settings shared by the aggregates: each settable once, validated at build(). */
final class Settings {
  private final String what;
  private final boolean bounded;
  double epsilon = Double.NaN;
  double lower = Double.NaN;
  double upper = Double.NaN;
  int maxContributions;
  RandomGenerator random;

  Settings(String what, boolean bounded) {
    this.what = what;
    this.bounded = bounded;
  }

  void epsilon(double v) {
    if (!Double.isNaN(epsilon)) {
      throw new IllegalStateException(what + ": epsilon already set to " + epsilon);
    }
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(what + ": epsilon must be finite and > 0, got " + v);
    }
    epsilon = v;
  }

  void bounds(double lo, double hi) {
    if (!Double.isNaN(lower)) {
      throw new IllegalStateException(what + ": bounds already set to [" + lower + ", " + upper + "]");
    }
    if (!Double.isFinite(lo) || !Double.isFinite(hi) || !(lo < hi)) {
      throw new IllegalArgumentException(what + ": bounds must be finite with lower < upper, got [" + lo + ", " + hi + "]");
    }
    // The aggregates centre on the midpoint and scale by the width; an infinite width would only
    // fail in computeResult(), after the result (and the budget) is taken.
    if (Double.isInfinite(hi - lo)) {
      throw new IllegalArgumentException(what + ": bounds width upper - lower overflows to infinity, got ["
          + lo + ", " + hi + "]");
    }
    lower = lo;
    upper = hi;
  }

  void maxContributions(int v) {
    if (maxContributions != 0) {
      throw new IllegalStateException(what + ": maxContributions already set to " + maxContributions);
    }
    if (v < 1) {
      throw new IllegalArgumentException(what + ": maxContributions must be >= 1, got " + v);
    }
    maxContributions = v;
  }

  void random(RandomGenerator r) {
    if (random != null) {
      throw new IllegalStateException(what + ": random already set");
    }
    random = java.util.Objects.requireNonNull(r, "random");
  }

  /** Fills defaults and checks that required settings are present. */
  void validate() {
    if (Double.isNaN(epsilon)) {
      throw new IllegalStateException(what + ": epsilon not set");
    }
    if (bounded && Double.isNaN(lower)) {
      throw new IllegalStateException(what + ": bounds not set");
    }
    if (random == null) {
      throw new IllegalStateException(what + ": random not set (use SecureRandom in production)");
    }
    if (maxContributions == 0) {
      maxContributions = 1;
    }
  }
}
