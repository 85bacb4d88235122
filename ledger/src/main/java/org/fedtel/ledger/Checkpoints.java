package org.fedtel.ledger;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;

/** The {@code checkpoints/} directory of a ledger: one signed note per size, {@code <size>.note}
 * with the size in 20 zero-padded digits; no other {@code *.note} name is accepted. */
final class Checkpoints {
  private Checkpoints() {}

  static Path path(Path ledgerDir, long size) {
    return ledgerDir.resolve(Ledger.CHECKPOINT_DIR).resolve(String.format("%020d.note", size));
  }

  static TreeMap<Long, SignedNote> readAll(Path ledgerDir) throws IOException, LedgerException {
    TreeMap<Long, SignedNote> out = new TreeMap<>();
    Path d = ledgerDir.resolve(Ledger.CHECKPOINT_DIR);
    if (!Files.isDirectory(d)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(d, "*.note")) {
      for (Path p : files) {
        String name = p.getFileName().toString();
        long size;
        try {
          size = Long.parseLong(name.substring(0, name.length() - ".note".length()));
        } catch (NumberFormatException e) {
          throw new LedgerException("checkpoint file " + name + " is not named <size>.note");
        }
        // Only the writer's own name: "8.note", "08.note" or "+8.note" parse to the same size, and
        // keeping whichever the directory lists last would leave a second (forged or forked)
        // checkpoint for that size unverified.
        String canonical = path(ledgerDir, size).getFileName().toString();
        if (size < 0 || !name.equals(canonical)) {
          throw new LedgerException("checkpoint file " + name + " is not named <size>.note as the ledger writes it"
              + (size < 0 ? "" : " (" + canonical + ")") + "; a second checkpoint file for one size is refused");
        }
        SignedNote note;
        try {
          note = SignedNote.parse(Files.readAllBytes(p));
        } catch (NoteException e) {
          throw new LedgerException("checkpoint " + name + ": " + e.getMessage(), e);
        }
        Checkpoint c = Checkpoint.parse(note.text());
        if (c.size() != size) {
          throw new LedgerException("checkpoint " + name + " holds a checkpoint of size " + c.size());
        }
        out.put(size, note);
      }
    }
    return out;
  }
}
