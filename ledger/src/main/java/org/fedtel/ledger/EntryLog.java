package org.fedtel.ledger;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
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

  private EntryLog() {}

  /** Called for each complete, checksummed record in order. */
  interface Visitor {
    void entry(long index, long offset, byte[] bytes) throws LedgerException;
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
    long length = Files.size(file);
    try (InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 20))) {
      byte[] magic = new byte[MAGIC.length];
      try {
        in.readFully(magic);
      } catch (EOFException e) {
        throw new CorruptLedgerException(0, "entries file is " + length + " bytes, shorter than its header");
      }
      if (!Arrays.equals(magic, MAGIC)) {
        throw new CorruptLedgerException(0, "entries file does not start with the fedtel ledger header");
      }
      long pos = MAGIC.length;
      long index = 0;
      while (pos < length) {
        long left = length - pos;
        if (left < 8) {
          return new Scan(index, pos, length, left + " bytes after the last complete entry, too few for a record");
        }
        int len = in.readInt();
        if (len < 0 || len > MAX_ENTRY_BYTES) {
          if (restIsZero(in, left - 4)) {
            return new Scan(index, pos, length, left + " zero bytes after the last complete entry");
          }
          throw new CorruptLedgerException(index, "record length field is damaged (" + (len & 0xffffffffL) + ")");
        }
        if (8L + len > left) {
          return new Scan(index, pos, length, "record of " + len + " bytes is cut off after " + (left - 4)
              + " bytes");
        }
        byte[] bytes = new byte[len];
        in.readFully(bytes);
        int stored = in.readInt();
        if (stored != crc(bytes)) {
          if (8L + len == left) {
            return new Scan(index, pos, length, "last record (" + len + " bytes) fails its checksum");
          }
          if (len == 0 && stored == 0 && restIsZero(in, left - 8)) {
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

  private static boolean restIsZero(DataInputStream in, long n) throws IOException {
    for (long i = 0; i < n; i++) {
      if (in.read() != 0) {
        return false;
      }
    }
    return true;
  }
}
