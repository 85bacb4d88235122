package org.fedtel.ledger;

import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Ed25519 verification of data-use signatures and checkpoint cosignatures on worker threads (it
 * dominates an audit), with results consumed in entry order so that the first failing entry is
 * still the one reported.
 */
final class SignatureChecks implements AutoCloseable {
  private static final int MAX_PENDING = 4096;

  private record Pending(long index, Future<LedgerException> result) {}

  private final ExecutorService pool;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private long submitted;

  SignatureChecks() {
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "ledger-signatures");
      t.setDaemon(true);
      return t;
    });
  }

  /** Queues a check of entry {@code index}; the supplier returns null or what failed. */
  void check(long index, Supplier<String> verification) throws LedgerException {
    queue(index, () -> {
      String failure = verification.get();
      return failure == null ? null : new CorruptLedgerException(index, failure);
    });
    submitted++;
  }

  /**
   * Queues a check that belongs with entry {@code index} (in order with the entries' own checks);
   * the supplier returns null or the exception to report. Not counted in {@link #submitted}.
   */
  void queue(long index, Supplier<LedgerException> verification) throws LedgerException {
    pending.addLast(new Pending(index, pool.submit(verification::get)));
    if (pending.size() > MAX_PENDING) {
      awaitOne();
    }
  }

  long submitted() {
    return submitted;
  }

  /** Waits for every queued check of an entry at or before {@code index}; throws the first failure. */
  void awaitAll(long index) throws LedgerException {
    while (!pending.isEmpty() && pending.peekFirst().index() <= index) {
      awaitOne();
    }
  }

  private void awaitOne() throws LedgerException {
    Pending p = pending.removeFirst();
    LedgerException failure;
    try {
      failure = p.result().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LedgerException("interrupted while verifying signatures");
    } catch (ExecutionException e) {
      throw new IllegalStateException("signature check of entry " + p.index() + " failed", e.getCause());
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
