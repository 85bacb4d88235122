package org.fedtel.ledger;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Raw access to a ledger's entries file, for tampering in tests. */
final class LedgerFiles {
  private LedgerFiles() {}

  static List<byte[]> read(Path dir) throws IOException, LedgerException {
    List<byte[]> out = new ArrayList<>();
    EntryLog.scan(dir.resolve(EntryLog.FILE), (i, o, b) -> out.add(b));
    return out;
  }

  static void write(Path dir, List<byte[]> entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(EntryLog.MAGIC);
    for (byte[] e : entries) {
      out.write(EntryLog.frame(e));
    }
    Files.write(dir.resolve(EntryLog.FILE), out.toByteArray());
  }

  static long offsetOf(Path dir, long index) throws IOException, LedgerException {
    long[] off = {-1};
    EntryLog.scan(dir.resolve(EntryLog.FILE), (i, o, b) -> {
      if (i == index) {
        off[0] = o;
      }
    });
    return off[0];
  }
}
