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

  /** Checks that entries are still accepted and that {@code x} is one: finite. */
  void checkEntry(double x) {
    checkAccumulating();
    if (!Double.isFinite(x)) {
      throw new IllegalArgumentException(what + ": entry is not finite: " + x);
    }
  }
}
