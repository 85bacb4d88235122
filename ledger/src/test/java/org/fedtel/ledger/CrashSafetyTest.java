package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fedtel.ledger.v1.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A writer killed with SIGKILL mid-append loses no acknowledged entry and the ledger reopens. */
class CrashSafetyTest {
  @TempDir Path dir;

  @Test
  void everyAcknowledgedEntrySurvivesSigkill() throws Exception {
    Map<Long, Long> acked = new HashMap<>();
    for (int run = 0; run < 3; run++) {
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(), dir.toString(), "3")
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String first = in.readLine();
        assertTrue(first != null && first.startsWith("open "), "child did not open the ledger: " + first);
        assertTrue(Long.parseLong(first.split(" ")[1]) > maxIndex(acked), "reopened size covers every ack: " + first);
        int seen = 0;
        String line;
        while (seen < 150 + run * 50 && (line = in.readLine()) != null) {
          String[] f = line.split(" ");
          acked.put(Long.parseLong(f[1]), Long.parseLong(f[2]));
          seen++;
        }
        assertEquals(150 + run * 50, seen, "child stopped acknowledging");
        p.destroyForcibly(); // SIGKILL on Linux, while appends are in flight
        // (destroyForcibly closes our end of the pipe; acknowledgements still in it are not checked.)
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      }
    }
    try (Ledger l = Ledger.open(dir, SyntheticLedger.genesis(7), SyntheticLedger.coordinatorKey(7),
        SyntheticLedger.steppingClock())) {
      assertTrue(l.size() > maxIndex(acked));
      for (Map.Entry<Long, Long> a : acked.entrySet()) {
        Entry e = Entry.parseFrom(l.entry(a.getKey()));
        assertEquals((long) a.getValue(), e.getRoundAborted().getRound(), "entry " + a.getKey());
      }
      MerkleTree ref = MerkleTree.of(LedgerFiles.read(dir));
      assertEquals(Hex.en(ref.root()), Hex.en(l.root()));
    }
  }

  private static long maxIndex(Map<Long, Long> acked) {
    return acked.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
  }
}
