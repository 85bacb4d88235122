package org.fedtel.benchmarks.ledger;

import java.nio.file.Path;
import org.fedtel.ledger.LedgerAudit;

/**
 * Audits a ledger {@code audits} times in one JVM, as {@code fedtel ledger verify} audits it: the
 * program {@code benchmarks/profile-verify.sh} runs under a sampling profiler to show where the
 * audit's CPU time goes, per thread. Prints the mean wall time of the audits after the first
 * {@code audits / 5} (warm-up), so the profile can be read in milliseconds per audit.
 *
 * <p>{@code DIR} is a ledger; when it does not exist, the 1 000 000-entry ledger of {@link
 * LedgerVerifyBenchmark} is written there first (and kept for the next run).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.fedtel.benchmarks.ledger.VerifyLoop DIR [audits]</pre>
 */
public final class VerifyLoop {
  private VerifyLoop() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: VerifyLoop LEDGER_DIR [audits (default 200)]; a missing LEDGER_DIR is"
          + " written first with the 1 000 000-entry benchmark ledger");
      System.exit(2);
    }
    Path dir = LedgerVerifyBenchmark.existingOrWritten(Path.of(args[0]));
    int audits = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    if (audits < 1) {
      throw new IllegalArgumentException("audits must be at least 1, not " + audits);
    }
    int warmUp = audits / 5;
    long start = 0;
    for (int i = 0; i < audits; i++) {
      if (i == warmUp) {
        start = System.nanoTime();
      }
      LedgerAudit.verify(dir);
    }
    System.out.printf("%d audits of %s; after %d to warm up: %.1f ms per audit%n", audits, dir, warmUp,
        (System.nanoTime() - start) / 1e6 / (audits - warmUp));
  }
}
