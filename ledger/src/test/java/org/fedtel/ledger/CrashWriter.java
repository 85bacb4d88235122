package org.fedtel.ledger;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.RoundAborted;

/** Child process of {@link CrashSafetyTest}: appends from several threads and acknowledges on stdout. */
public final class CrashWriter {
  private CrashWriter() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int threads = Integer.parseInt(args[1]);
    PrintStream out = System.out;
    Ledger ledger = Ledger.open(dir, SyntheticLedger.genesis(7), SyntheticLedger.coordinatorKey(7), Clock.systemUTC());
    out.println("open " + ledger.size() + " cut " + ledger.recovery().bytesCut());
    out.flush();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        try {
          for (long round = id * 1_000_000L; ; round++) {
            long index = ledger.append(Entry.newBuilder().setRoundAborted(
                RoundAborted.newBuilder().setRound(round).setReason("crash test " + "x".repeat((int) (round % 300)))));
            synchronized (out) {
              out.println("ack " + index + " " + round);
              out.flush();
            }
          }
        } catch (Exception e) {
          e.printStackTrace();
        }
      });
      th.start();
    }
  }
}
