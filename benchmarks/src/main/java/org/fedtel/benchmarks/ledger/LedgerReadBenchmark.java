package org.fedtel.benchmarks.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * How the audit should get a ledger's bytes into the chunk buffers it checks and hashes: positional
 * reads of 64 KiB into a heap buffer (what {@code ChunkedScan} does) against memory-mapping the file
 * and copying each chunk out of the mapping (a fresh mapping per pass, as each audit would map the
 * file anew). Both copy about 420 KB per chunk (4 096 entries of ~100 bytes) into the same heap
 * array; the file is as large as the 1 000 000-entry benchmark ledger and is read from the page
 * cache. Hashing straight from the mapping would skip the copy but not the page faults.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
public class LedgerReadBenchmark {
  private static final int CHUNK = 430_000;
  private static final int READ = 64 << 10;

  @Param("103450427")
  public long bytes;

  private Path file;
  private final byte[] buf = new byte[(512 << 10) + READ];

  @Setup(Level.Trial)
  public void setup() throws IOException {
    file = Files.createTempFile("fedtel-ledger-read", ".log");
    byte[] block = new byte[1 << 20];
    new Random(1).nextBytes(block);
    try (FileChannel ch = FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      long left = bytes;
      while (left > 0) {
        ByteBuffer b = ByteBuffer.wrap(block, 0, (int) Math.min(block.length, left));
        left -= ch.write(b);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    Files.deleteIfExists(file);
  }

  @Benchmark
  public int preadIntoChunks() throws IOException {
    int x = 0;
    try (FileChannel ch = FileChannel.open(file)) {
      long length = ch.size();
      long pos = 0;
      ByteBuffer b = ByteBuffer.wrap(buf);
      while (pos < length) {
        int limit = 0;
        while (limit < CHUNK && pos < length) {
          b.limit(Math.min(buf.length, limit + READ)).position(limit);
          int n = ch.read(b, pos);
          limit += n;
          pos += n;
        }
        x += buf[limit - 1];
      }
    }
    return x;
  }

  @Benchmark
  public int mmapIntoChunks() throws IOException {
    int x = 0;
    try (FileChannel ch = FileChannel.open(file)) {
      long length = ch.size();
      MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, length);
      long pos = 0;
      while (pos < length) {
        int n = (int) Math.min(CHUNK, length - pos);
        m.get((int) pos, buf, 0, n);
        pos += n;
        x += buf[n - 1];
      }
    }
    return x;
  }
}
