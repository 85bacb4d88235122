package org.fedtel.simulations.experiment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs the runs of a sweep in parallel on a fixed number of threads (so memory is bounded by the
 * runs in flight) and writes each run's rows to {@code results.csv} in sweep order, as soon as it and
 * every run before it have finished: the file does not depend on scheduling or on the number of
 * threads. {@link #flushFinished()} writes the runs that finished out of order too (for Ctrl-C).
 */
public final class Sweep {
  /** Told after each finished run, in completion order; called from worker threads, one call at a time. */
  public interface Listener {
    void runFinished(RunSpec spec, List<RoundRecord> rounds);
  }

  private final RunExecutor executor;
  private final int threads;
  private ResultsCsv results;
  private Report.Run[] finished = new Report.Run[0];
  private boolean[] written = new boolean[0];
  private int nextToWrite;

  public Sweep(RunExecutor executor, int threads) {
    this.executor = Objects.requireNonNull(executor, "executor");
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, was " + threads);
    }
    this.threads = threads;
  }

  /**
   * Runs every spec and returns the runs in sweep order. A failing run fails the sweep (after the
   * runs before it have been written); the message names the run.
   */
  public List<Report.Run> run(List<RunSpec> specs, ResultsCsv results, Listener listener)
      throws SweepException, InterruptedException {
    synchronized (this) {
      this.results = results;
      this.finished = new Report.Run[specs.size()];
      this.written = new boolean[specs.size()];
      this.nextToWrite = 0;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, Math.max(1, specs.size())), r -> {
      Thread t = new Thread(r, "fedtel-sweep");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < specs.size(); i++) {
        int index = i;
        RunSpec spec = specs.get(i);
        futures.add(pool.submit(() -> {
          List<RoundRecord> rounds = executor.execute(spec);
          finish(index, new Report.Run(spec, rounds), listener);
          return null;
        }));
      }
      for (int i = 0; i < futures.size(); i++) {
        try {
          futures.get(i).get();
        } catch (ExecutionException e) {
          throw new SweepException("run " + specs.get(i).id() + " failed: " + e.getCause().getMessage(), e.getCause());
        }
      }
      synchronized (this) {
        return List.of(finished);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private synchronized void finish(int index, Report.Run run, Listener listener) {
    finished[index] = run;
    listener.runFinished(run.spec(), run.rounds());
    while (nextToWrite < finished.length && finished[nextToWrite] != null) {
      if (!written[nextToWrite]) {
        write(nextToWrite);
      }
      nextToWrite++;
    }
  }

  private void write(int index) {
    results.writeRun(finished[index].spec(), finished[index].rounds());
    written[index] = true;
  }

  /**
   * Writes every finished run not written yet (those waiting for an earlier run) and returns all
   * finished runs in sweep order. For an interrupted sweep: nothing finished is lost.
   */
  public synchronized List<Report.Run> flushFinished() {
    List<Report.Run> out = new ArrayList<>();
    for (int i = 0; i < finished.length; i++) {
      if (finished[i] != null) {
        if (!written[i]) {
          write(i);
        }
        out.add(finished[i]);
      }
    }
    return out;
  }

  synchronized int finishedCount() {
    return (int) Arrays.stream(finished).filter(Objects::nonNull).count();
  }

  /** A run of the sweep failed. */
  public static final class SweepException extends Exception {
    private static final long serialVersionUID = 1L;

    SweepException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
