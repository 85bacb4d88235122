package org.fedtel.ledger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/** A {@link HashStore} in a file of raw 32-byte hashes; a cache of what the entries determine. */
final class FileHashStore implements HashStore, AutoCloseable {
  static final String FILE = "hashes.bin";
  private final FileChannel channel;
  private long count;

  FileHashStore(Path file) throws IOException {
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    long bytes = channel.size();
    count = bytes / 32;
    if (bytes % 32 != 0) {
      channel.truncate(count * 32);
    }
  }

  @Override
  public long count() {
    return count;
  }

  @Override
  public byte[] get(long position) {
    if (position < 0 || position >= count) {
      throw new IndexOutOfBoundsException("hash " + position + " of " + count);
    }
    ByteBuffer b = ByteBuffer.allocate(32);
    try {
      while (b.hasRemaining()) {
        if (channel.read(b, position * 32 + b.position()) < 0) {
          throw new IOException("hash file ends inside hash " + position);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.array();
  }

  @Override
  public void add(byte[] hash) {
    ByteBuffer b = ByteBuffer.wrap(hash);
    try {
      while (b.hasRemaining()) {
        channel.write(b, count * 32 + b.position());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    count++;
  }

  /** Reads the first {@code n} hashes in order, in large reads (checking a whole store on open). */
  Reader reader(long n) {
    return new Reader(n);
  }

  final class Reader {
    private final long n;
    private final ByteBuffer buf = ByteBuffer.allocate(32 << 15);
    private long next;

    private Reader(long n) {
      if (n > count) {
        throw new IndexOutOfBoundsException("hash " + (n - 1) + " of " + count);
      }
      this.n = n;
      buf.limit(0);
    }

    /** Whether the next stored hash equals {@code hash}. */
    boolean nextEquals(byte[] hash) throws IOException {
      if (next >= n) {
        throw new IndexOutOfBoundsException("hash " + next + " of " + n);
      }
      if (!buf.hasRemaining()) {
        buf.clear();
        buf.limit((int) Math.min(buf.capacity(), (n - next) * 32));
        long at = next * 32;
        while (buf.hasRemaining()) {
          if (channel.read(buf, at + buf.position()) < 0) {
            throw new IOException("hash file ends inside hash " + (at / 32 + buf.position() / 32));
          }
        }
        buf.flip();
      }
      int p = buf.position();
      buf.position(p + 32);
      next++;
      return Arrays.equals(buf.array(), p, p + 32, hash, 0, 32);
    }
  }

  void truncate(long newCount) throws IOException {
    channel.truncate(newCount * 32);
    count = newCount;
  }

  void force() throws IOException {
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
