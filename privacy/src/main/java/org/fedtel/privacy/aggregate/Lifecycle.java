package org.fedtel.privacy.aggregate;

/** Accumulate, then take the result exactly once: the budget cannot be spent twice. */
final class Lifecycle {
  private final String what;
  private boolean resultTaken;

  Lifecycle(String what) {
    this.what = what;
  }

  void checkAccumulating() {
    if (resultTaken) {
      throw new IllegalStateException(what + ": result already computed; no more entries accepted");
    }
  }

  void takeResult() {
    if (resultTaken) {
      throw new IllegalStateException(what + ": result can be computed only once");
    }
    resultTaken = true;
  }

  static double requireFinite(String what, double x) {
    if (!Double.isFinite(x)) {
      throw new IllegalArgumentException(what + ": entry is not finite: " + x);
    }
    return x;
  }
}
