package org.fedtel.ledger;

import java.util.Arrays;

/** A {@link HashStore} in memory, in chunks so that growth never copies old hashes. */
final class MemoryHashStore implements HashStore {
  private static final int CHUNK_HASHES = 1 << 15;
  private byte[][] chunks = new byte[4][];
  private long count;

  @Override
  public long count() {
    return count;
  }

  @Override
  public byte[] get(long position) {
    if (position < 0 || position >= count) {
      throw new IndexOutOfBoundsException("hash " + position + " of " + count);
    }
    byte[] chunk = chunks[(int) (position / CHUNK_HASHES)];
    int off = (int) (position % CHUNK_HASHES) * 32;
    return Arrays.copyOfRange(chunk, off, off + 32);
  }

  @Override
  public void add(byte[] hash) {
    int c = (int) (count / CHUNK_HASHES);
    if (c == chunks.length) {
      chunks = Arrays.copyOf(chunks, chunks.length * 2);
    }
    if (chunks[c] == null) {
      chunks[c] = new byte[CHUNK_HASHES * 32];
    }
    System.arraycopy(hash, 0, chunks[c], (int) (count % CHUNK_HASHES) * 32, 32);
    count++;
  }
}
