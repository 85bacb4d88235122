package org.fedtel.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A progress bar with ETA on stderr. On a terminal it redraws one line; otherwise (logs, CI) it
 * prints a line at most every few seconds. {@code --quiet} turns all progress off.
 */
public final class Progress implements AutoCloseable {
  private static volatile boolean enabled = true;

  private final String label;
  private final long total;
  private final PrintStream out;
  private final LongSupplier nanoTime;
  private final boolean terminal;
  private final long start;
  private long done;
  private long lastPrint;

  private Progress(String label, long total, PrintStream out, LongSupplier nanoTime, boolean terminal) {
    if (total < 0) {
      throw new IllegalArgumentException("total must be >= 0, was " + total);
    }
    this.label = label;
    this.total = total;
    this.out = out;
    this.nanoTime = nanoTime;
    this.terminal = terminal;
    this.start = nanoTime.getAsLong();
    this.lastPrint = Long.MIN_VALUE;
  }

  /** A progress bar for {@code total} units of work, on stderr. */
  public static Progress start(String label, long total) {
    return new Progress(label, total, System.err, System::nanoTime, System.console() != null);
  }

  static Progress forTest(String label, long total, PrintStream out, LongSupplier nanoTime) {
    return new Progress(label, total, out, nanoTime, false);
  }

  static void setEnabled(boolean on) {
    enabled = on;
  }

  /** Records {@code units} more units done. */
  public synchronized void advance(long units) {
    done = Math.min(total, done + units);
    long now = nanoTime.getAsLong();
    long interval = terminal ? 100_000_000L : 5_000_000_000L;
    if (done == total || lastPrint == Long.MIN_VALUE || now - lastPrint >= interval) {
      lastPrint = now;
      print(now, done == total);
    }
  }

  private void print(long now, boolean finished) {
    if (!enabled) {
      return;
    }
    double fraction = total == 0 ? 1 : (double) done / total;
    long elapsed = now - start;
    String eta = done == 0 ? "?" : format(Duration.ofNanos((long) (elapsed / fraction) - elapsed));
    int width = 30;
    int filled = (int) Math.round(fraction * width);
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    String line = String.format("%s [%s] %d/%d %3.0f%% %s %s", label, bar, done, total, 100 * fraction,
        finished ? "in" : "ETA", finished ? format(Duration.ofNanos(elapsed)) : eta);
    if (terminal) {
      out.print("\r" + line + (finished ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }

  private static String format(Duration d) {
    long s = Math.max(0, d.toSeconds());
    return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60)
        : String.format("%dm%02ds", s / 60, s % 60);
  }

  @Override
  public synchronized void close() {
    if (terminal && done < total && enabled) {
      out.println();
    }
  }
}
