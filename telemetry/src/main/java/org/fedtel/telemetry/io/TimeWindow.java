package org.fedtel.telemetry.io;

/** A labelled anomaly window, both ends inclusive, in epoch milliseconds. */
public record TimeWindow(long startMillis, long endMillis) {
  public TimeWindow {
    if (endMillis < startMillis) {
      throw new IllegalArgumentException("window ends before it starts: " + startMillis + " > " + endMillis);
    }
  }

  public boolean contains(long t) {
    return t >= startMillis && t <= endMillis;
  }
}
