package org.fedtel.benchmarks.ledger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The temporary ledgers the benchmarks write. */
final class BenchmarkFiles {
  private BenchmarkFiles() {
  }

  /** Deletes {@code dir} and everything under it (a benchmark's ledger, at the end of its trial). */
  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
