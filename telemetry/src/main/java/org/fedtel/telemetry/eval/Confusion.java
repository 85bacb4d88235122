package org.fedtel.telemetry.eval;

/**
 * Counts of a binary detector against ground truth. Precision, recall and F1 are 0 where their
 * denominator is 0 (scikit-learn's {@code zero_division=0}).
 */
public record Confusion(long tp, long fp, long tn, long fn) {
  public Confusion {
    if (tp < 0 || fp < 0 || tn < 0 || fn < 0) {
      throw new IllegalArgumentException("counts must be >= 0");
    }
  }

  /** Counts flags against truth, element by element. */
  public static Confusion of(boolean[] truth, boolean[] flagged) {
    if (truth.length != flagged.length) {
      throw new IllegalArgumentException("lengths differ: " + truth.length + " vs " + flagged.length);
    }
    long tp = 0;
    long fp = 0;
    long tn = 0;
    long fn = 0;
    for (int i = 0; i < truth.length; i++) {
      if (truth[i]) {
        if (flagged[i]) {
          tp++;
        } else {
          fn++;
        }
      } else if (flagged[i]) {
        fp++;
      } else {
        tn++;
      }
    }
    return new Confusion(tp, fp, tn, fn);
  }

  public Confusion plus(Confusion o) {
    return new Confusion(tp + o.tp, fp + o.fp, tn + o.tn, fn + o.fn);
  }

  public double precision() {
    return tp + fp == 0 ? 0 : (double) tp / (tp + fp);
  }

  public double recall() {
    return tp + fn == 0 ? 0 : (double) tp / (tp + fn);
  }

  public double f1() {
    return 2 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
  }
}
