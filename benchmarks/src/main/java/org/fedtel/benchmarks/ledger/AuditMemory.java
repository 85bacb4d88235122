package org.fedtel.benchmarks.ledger;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedtel.ledger.LedgerAudit;

/**
 * What memory the audit touches, and what touching fresh memory costs on this machine: a plain
 * program, not a JMH benchmark, because the point is memory a JVM has not used before.
 *
 * <ol>
 *   <li>The cost of a first touch: one 64 MiB array allocated in a fresh JVM lands in memory the
 *       process never touched, so the JVM's zeroing takes one minor page fault per 4 KiB page;
 *       its time over its faults is the cost of one fault (the zeroing itself is a few percent).
 *   <li>For {@code audits} audits of {@code DIR} (after three to warm up) and the raw one-stream
 *       SHA-256 of its entries file: bytes allocated per call (all threads, {@code
 *       com.sun.management.ThreadMXBean}) and minor page faults per call ({@code /proc/self/stat},
 *       the whole process).
 * </ol>
 *
 * <p>{@code DIR} is a ledger; when it does not exist, the 1 000 000-entry ledger of {@link
 * LedgerVerifyBenchmark} is written there first (and kept for the next run).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.fedtel.benchmarks.ledger.AuditMemory DIR [audits]</pre>
 */
public final class AuditMemory {
  private AuditMemory() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: AuditMemory LEDGER_DIR [audits (default 10)]; a missing LEDGER_DIR is"
          + " written first with the 1 000 000-entry benchmark ledger");
      System.exit(2);
    }
    Path dir = LedgerVerifyBenchmark.existingOrWritten(Path.of(args[0]));
    int audits = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    long f0 = minorFaults();
    long t0 = System.nanoTime();
    long[] fresh = new long[8 << 20];
    long t1 = System.nanoTime();
    long faults = minorFaults() - f0;
    System.out.printf("first touch: a 64 MiB array took %.1f ms and %d minor faults: %.2f µs per fault%n",
        (t1 - t0) / 1e6, faults, (t1 - t0) / 1e3 / Math.max(1, faults));
    fresh[fresh.length - 1] = 1;

    double[] sums = new double[6];
    for (int i = 0; i < audits + 3; i++) {
      long b0 = threads.getTotalThreadAllocatedBytes();
      long a0 = minorFaults();
      long s0 = System.nanoTime();
      LedgerAudit.verify(dir);
      long s1 = System.nanoTime();
      long a1 = minorFaults();
      long b1 = threads.getTotalThreadAllocatedBytes();
      LedgerVerifyBenchmark.rawSha256(dir.resolve("entries.log"));
      long s2 = System.nanoTime();
      long a2 = minorFaults();
      long b2 = threads.getTotalThreadAllocatedBytes();
      if (i >= 3) {
        sums[0] += (s1 - s0) / 1e6;
        sums[1] += (b1 - b0) / 1e6;
        sums[2] += a1 - a0;
        sums[3] += (s2 - s1) / 1e6;
        sums[4] += (b2 - b1) / 1e6;
        sums[5] += a2 - a1;
      }
    }
    System.out.printf("audit (mean of %d): %.1f ms, %.1f MB allocated, %.0f minor faults%n",
        audits, sums[0] / audits, sums[1] / audits, sums[2] / audits);
    System.out.printf("raw SHA-256 of the file: %.1f ms, %.1f MB allocated, %.0f minor faults%n",
        sums[3] / audits, sums[4] / audits, sums[5] / audits);
  }

  /** Field 10 of /proc/self/stat (minflt), counted after the command name, which may hold spaces. */
  private static long minorFaults() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[7]);
  }
}
