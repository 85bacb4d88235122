package org.fedtel.ledger;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The entries file: an 8-byte magic, then one record per entry: u32 length (big-endian), the entry
 * bytes exactly as appended, u32 CRC32C of length and bytes. The checksum only tells a torn or
 * damaged record from a good one; integrity against tampering comes from the hash chain, the Merkle
 * tree and the signed checkpoints.
 */
final class EntryLog {
  static final String FILE = "entries.log";
  static final byte[] MAGIC = "FTLEDG01".getBytes(StandardCharsets.US_ASCII);
  static final int MAX_ENTRY_BYTES = 16 << 20;
  /** Bytes checksummed at most while looking for a complete record after a cut-off one. */
  private static final long SEARCH_LIMIT = 1L << 30;

  private EntryLog() {}

  /** Called for each complete, checksummed record in order. */
  interface Visitor {
    void entry(long index, long offset, byte[] bytes) throws IOException, LedgerException;
  }

  /**
   * What follows the last good record: nothing, or a torn tail (an incomplete or unchecksummed final
   * record, or zero fill) that a crash mid-append leaves behind.
   */
  record Scan(long entries, long goodLength, long fileLength, String tornTail) {
    boolean torn() {
      return tornTail != null;
    }
  }

  static byte[] frame(byte[] entry) {
    ByteBuffer b = ByteBuffer.allocate(8 + entry.length);
    b.putInt(entry.length).put(entry);
    b.putInt(crc(entry));
    return b.array();
  }

  static int crc(byte[] entry) {
    CRC32C c = new CRC32C();
    c.update(ByteBuffer.allocate(4).putInt(entry.length).array());
    c.update(entry);
    return (int) c.getValue();
  }

  /**
   * Reads every record. A bad record that is the last thing in the file is a torn tail (reported in
   * the result); a bad record with data after it is corruption and throws, naming the entry.
   */
  static Scan scan(Path file, Visitor visitor) throws IOException, LedgerException {
    return scan(file, visitor, Long.MAX_VALUE);
  }

  /**
   * {@link #scan(Path, Visitor)} of the first {@code maxEntries} records only: each of them is judged
   * exactly as in the whole scan (whether a bad one is a torn tail depends on what follows it in the
   * file, not on the limit). Stopped at the limit, the result has no torn tail.
   */
  static Scan scan(Path file, Visitor visitor, long maxEntries) throws IOException, LedgerException {
    long length = Files.size(file);
    try (InputStream raw = Files.newInputStream(file)) {
      Records in = new Records(raw);
      byte[] magic = new byte[MAGIC.length];
      try {
        in.readFully(magic, MAGIC.length);
      } catch (EOFException e) {
        throw new CorruptLedgerException(0, "entries file is " + length + " bytes, shorter than its header");
      }
      if (!Arrays.equals(magic, MAGIC)) {
        throw new CorruptLedgerException(0, "entries file does not start with the fedtel ledger header");
      }
      CRC32C crc = new CRC32C();
      byte[] lengthBytes = new byte[4];
      long pos = MAGIC.length;
      long index = 0;
      while (pos < length && index < maxEntries) {
        long left = length - pos;
        if (left < 8) {
          return new Scan(index, pos, length, left + " bytes after the last complete entry, too few for a record");
        }
        int len = in.readInt();
        if (len < 0 || len > MAX_ENTRY_BYTES) {
          if (in.restIsZero(left - 4)) {
            return new Scan(index, pos, length, left + " zero bytes after the last complete entry");
          }
          throw new CorruptLedgerException(index, "record length field is damaged (" + (len & 0xffffffffL) + ")");
        }
        if (8L + len > left) {
          // A torn append leaves a prefix of its records, never a complete record after an incomplete
          // one; so a complete, checksummed record in what follows means the length field itself is
          // damaged, and cutting here would drop acknowledged entries.
          long later = completeRecordIn(in, left - 4, index);
          if (later >= 0) {
            throw new CorruptLedgerException(index, "record length field is damaged (" + len + " bytes, past the end"
                + " of the file, yet a complete record follows " + (later + 4) + " bytes after it)");
          }
          return new Scan(index, pos, length, "record of " + len + " bytes is cut off after " + (left - 4)
              + " bytes");
        }
        byte[] bytes = new byte[len];
        in.readFully(bytes, len);
        int stored = in.readInt();
        crc.reset();
        lengthBytes[0] = (byte) (len >>> 24);
        lengthBytes[1] = (byte) (len >>> 16);
        lengthBytes[2] = (byte) (len >>> 8);
        lengthBytes[3] = (byte) len;
        crc.update(lengthBytes, 0, 4);
        crc.update(bytes, 0, len);
        if (stored != (int) crc.getValue()) {
          if (8L + len == left) {
            return new Scan(index, pos, length, "last record (" + len + " bytes) fails its checksum");
          }
          if (len == 0 && stored == 0 && in.restIsZero(left - 8)) {
            return new Scan(index, pos, length, left + " zero bytes after the last complete entry");
          }
          throw new CorruptLedgerException(index, "record checksum mismatch (damaged bytes)");
        }
        visitor.entry(index, pos, bytes);
        pos += 8L + len;
        index++;
      }
      return new Scan(index, pos, length, null);
    }
  }

  /**
   * The offset, in the next {@code n} bytes of {@code in} (fewer than 8 + {@link #MAX_ENTRY_BYTES}),
   * of the first complete record (a length that fits, then as many bytes and their CRC32C), or −1.
   */
  private static long completeRecordIn(Records in, long n, long index) throws IOException, LedgerException {
    byte[] rest = new byte[(int) n];
    in.readFully(rest, rest.length);
    return firstCompleteRecord(rest, index);
  }

  /**
   * The offset in {@code rest} of the first complete record in it, or −1 (for the record {@code
   * index} that seemed to run past the end of the file; {@link ChunkedScan} asks the same).
   */
  static long firstCompleteRecord(byte[] rest, long index) throws CorruptLedgerException {
    long n = rest.length;
    CRC32C crc = new CRC32C();
    long checked = 0;
    for (int o = 0; o + 8 <= rest.length; o++) {
      int len = ((rest[o] & 0xff) << 24) | ((rest[o + 1] & 0xff) << 16) | ((rest[o + 2] & 0xff) << 8) | (rest[o + 3] & 0xff);
      if (len < 0 || len > MAX_ENTRY_BYTES || o + 8L + len > rest.length) {
        continue;
      }
      int at = o + 4 + len;
      int stored = ((rest[at] & 0xff) << 24) | ((rest[at + 1] & 0xff) << 16) | ((rest[at + 2] & 0xff) << 8) | (rest[at + 3] & 0xff);
      if (len == 0 && stored == 0) {
        continue; // zero fill, not a record
      }
      checked += 4 + len;
      if (checked > SEARCH_LIMIT) {
        // Crafted bytes can make every offset a candidate: rather than search without bound, refuse
        // to cut (cutting would lose entries if the length field is what is damaged).
        throw new CorruptLedgerException(index, "the last " + n + " bytes of the entries file cannot be told apart as a"
            + " torn append or a damaged length field; not cutting them");
      }
      crc.reset();
      crc.update(rest, o, 4 + len);
      if ((int) crc.getValue() == stored) {
        return o;
      }
    }
    return -1;
  }

  /**
   * Buffered big-endian reads without the per-call locking of {@code BufferedInputStream} and
   * {@code DataInputStream} (a measurable share of a million-entry scan).
   */
  private static final class Records {
    private final InputStream in;
    private final byte[] buf = new byte[1 << 20];
    private int pos;
    private int limit;

    Records(InputStream in) {
      this.in = in;
    }

    /** Makes at least {@code n} (at most the buffer size) unread bytes available, or throws EOFException. */
    private void need(int n) throws IOException {
      if (limit - pos >= n) {
        return;
      }
      System.arraycopy(buf, pos, buf, 0, limit - pos);
      limit -= pos;
      pos = 0;
      while (limit < n) {
        int r = in.read(buf, limit, buf.length - limit);
        if (r < 0) {
          throw new EOFException();
        }
        limit += r;
      }
    }

    int readInt() throws IOException {
      need(4);
      int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8)
          | (buf[pos + 3] & 0xff);
      pos += 4;
      return v;
    }

    void readFully(byte[] dst, int n) throws IOException {
      int done = 0;
      while (done < n) {
        if (pos == limit) {
          need(1);
        }
        int k = Math.min(n - done, limit - pos);
        System.arraycopy(buf, pos, dst, done, k);
        pos += k;
        done += k;
      }
    }

    /** Whether the next {@code n} bytes are all zero (reading stops at the first that is not). */
    boolean restIsZero(long n) throws IOException {
      for (long i = 0; i < n; i++) {
        if (pos == limit) {
          pos = 0;
          limit = 0;
          int r = in.read(buf, 0, buf.length);
          if (r < 0) {
            return false;
          }
          limit = r;
        }
        if (buf[pos++] != 0) {
          return false;
        }
      }
      return true;
    }
  }
}
