package org.fedtel.ledger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
