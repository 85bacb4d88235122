package org.fedtel.ledger;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads what every entry's checks need — index, timestamp, previous hash, the kind and where the
 * kind's message lies — straight from the protobuf wire format
 * (https://protobuf.dev/programming-guides/encoding/) of a stored {@code Entry}, without building
 * message objects. It is the audit's hot path: a million-entry ledger spent most of its time in
 * the generated parser's builders.
 *
 * <p>Only the plain layout that protobuf itself writes is taken: each field at most once, tags of
 * one or two bytes, the declared wire types, varints of at most 9 bytes, lengths inside the entry,
 * no unknown fields. For anything else {@link #read} returns false and the caller parses the whole entry with
 * the generated parser, which then either accepts it (applying protobuf's rules for repeated and
 * unknown fields) or rejects it with its usual message. So this reader never accepts bytes the
 * generated parser rejects and never reads different values from them ({@code EntryHeaderTest}
 * compares the two on every entry of generated and mutated ledgers).
 *
 * <p>One instance is reused for every entry (no allocation per entry); not thread-safe.
 */
final class EntryHeader {
  /** Field numbers of {@code fedtel.ledger.v1.Entry} (ledger.proto). */
  static final int INDEX = 1;
  static final int TIMESTAMP = 2;
  static final int PREVIOUS_HASH = 3;
  static final int FIRST_KIND = 10;
  static final int LAST_KIND = 17;
  static final int ROUND_STARTED = 12;
  static final int ROUND_ABORTED = 15;

  private static final int WIRE_VARINT = 0;
  private static final int WIRE_LENGTH_DELIMITED = 2;

  long index;
  long timestampMillis;
  /** Offset and length of previous_hash; length 0 when absent (protobuf's default, empty bytes). */
  int previousOffset;
  int previousLength;
  /** Field number of the entry's kind (10..17), or 0 when it has none. */
  int kind;
  int kindOffset;
  int kindLength;
  /** The round of a round_started or round_aborted entry, after its read method returned true. */
  long round;
  /** The sampled sites of a round_started entry after {@link #readRoundStarted} returned true (reused). */
  final List<String> sampledSites = new ArrayList<>();

  private int pos;
  private int end;
  private boolean malformed;
  /** Bit f: field f was read in the current message. */
  private int seen;

  /** Reads {@code entry}; false when it is not in the plain layout (parse it fully then). */
  boolean read(byte[] entry) {
    return read(entry, 0, entry.length);
  }

  /**
   * Reads the entry {@code entry[offset, offset + length)} (offsets set by this reader are into
   * {@code entry}); false when it is not in the plain layout.
   */
  boolean read(byte[] entry, int offset, int length) {
    if (offset < 0 || length < 0 || offset + length > entry.length) {
      throw new IllegalArgumentException("entry [" + offset + ", +" + length + ") outside " + entry.length + " bytes");
    }
    index = 0;
    timestampMillis = 0;
    previousOffset = 0;
    previousLength = 0;
    kind = 0;
    kindOffset = 0;
    kindLength = 0;
    begin(offset, offset + length);
    while (pos < end) {
      int tag = nextField(entry, 0);
      if (tag < 0) {
        return false;
      }
      int field = tag >>> 3;
      int wire = tag & 7;
      if (field == INDEX && wire == WIRE_VARINT) {
        index = varint(entry);
      } else if (field == TIMESTAMP && wire == WIRE_VARINT) {
        timestampMillis = varint(entry);
      } else if (field == PREVIOUS_HASH && wire == WIRE_LENGTH_DELIMITED) {
        previousLength = length(entry);
        previousOffset = pos;
        pos += previousLength;
      } else if (field >= FIRST_KIND && field <= LAST_KIND && wire == WIRE_LENGTH_DELIMITED) {
        if (kind != 0) {
          return false; // two kinds: the oneof keeps the last, leave that to protobuf
        }
        kind = field;
        kindLength = length(entry);
        kindOffset = pos;
        pos += kindLength;
      } else {
        return false;
      }
      if (malformed) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads a round_aborted kind (round = 1, reason = 2) in the same plain layout; the reason must be
   * ASCII (valid UTF-8, as proto3 requires of strings) for this path. False: parse it fully.
   */
  boolean readRoundAborted(byte[] entry) {
    if (kind != ROUND_ABORTED) {
      throw new IllegalStateException("not a round_aborted entry");
    }
    round = 0;
    begin(kindOffset, kindOffset + kindLength);
    while (pos < end) {
      int tag = nextField(entry, 0);
      if (tag < 0) {
        return false;
      }
      int field = tag >>> 3;
      int wire = tag & 7;
      if (field == 1 && wire == WIRE_VARINT) {
        round = varint(entry);
      } else if (field == 2 && wire == WIRE_LENGTH_DELIMITED) {
        int n = length(entry);
        if (malformed || !ascii(entry, pos, n)) {
          return false;
        }
        pos += n;
      } else {
        return false;
      }
      if (malformed) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads a round_started kind (round = 1, config_sha256 = 2, repeated sampled_sites = 3) in the
   * plain layout, with ASCII site ids. False: parse it fully.
   */
  boolean readRoundStarted(byte[] entry) {
    if (kind != ROUND_STARTED) {
      throw new IllegalStateException("not a round_started entry");
    }
    round = 0;
    sampledSites.clear();
    begin(kindOffset, kindOffset + kindLength);
    while (pos < end) {
      int tag = nextField(entry, 3);
      if (tag < 0) {
        return false;
      }
      int field = tag >>> 3;
      int wire = tag & 7;
      if (field == 1 && wire == WIRE_VARINT) {
        round = varint(entry);
      } else if (field == 2 && wire == WIRE_LENGTH_DELIMITED) {
        int n = length(entry);
        pos += n;
      } else if (field == 3 && wire == WIRE_LENGTH_DELIMITED) {
        int n = length(entry);
        if (malformed || !ascii(entry, pos, n)) {
          return false;
        }
        sampledSites.add(new String(entry, pos, n, StandardCharsets.US_ASCII));
        pos += n;
      } else {
        return false;
      }
      if (malformed) {
        return false;
      }
    }
    return true;
  }

  /**
   * ASCII is valid UTF-8 (which proto3 requires of strings); anything else is left to protobuf to
   * judge. Eight bytes at a time: a round_aborted reason is most of the bytes the audit reads.
   */
  private static boolean ascii(byte[] b, int from, int n) {
    int i = from;
    int to = from + n;
    long high = 0;
    for (; i + 8 <= to; i += 8) {
      high |= (long) LONGS.get(b, i);
    }
    for (; i < to; i++) {
      high |= b[i];
    }
    return (high & 0x8080808080808080L) == 0;
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** Starts reading the message {@code [from, to)}. */
  private void begin(int from, int to) {
    pos = from;
    end = to;
    malformed = false;
    seen = 0;
  }

  /**
   * The next field's tag, or -1 when the message is not in the plain layout there (parse fully
   * then): a tag as {@link #tag} reads it, of a field number of at most 31 that this message has not
   * had before, unless it is {@code repeatable} (0: none is).
   */
  private int nextField(byte[] b, int repeatable) {
    int tag = tag(b);
    if (tag < 0) {
      return -1;
    }
    int field = tag >>> 3;
    if (field > 31 || (field != repeatable && (seen & (1 << field)) != 0)) {
      return -1;
    }
    seen |= 1 << field;
    return tag;
  }

  /** A tag of one or two bytes with a non-zero field number, or -1 (parse fully then). */
  private int tag(byte[] b) {
    int t = b[pos++];
    if (t < 0) {
      if (pos >= end || b[pos] < 0) {
        return -1;
      }
      t = (t & 0x7f) | (b[pos++] << 7);
    }
    return t >>> 3 == 0 ? -1 : t;
  }

  /** A varint of at most 9 bytes (so no 64-bit overflow: a negative int64 takes 10 and goes the slow way). */
  private long varint(byte[] b) {
    long v = 0;
    for (int shift = 0; shift < 63; shift += 7) {
      if (pos >= end) {
        malformed = true;
        return 0;
      }
      byte x = b[pos++];
      v |= (long) (x & 0x7f) << shift;
      if (x >= 0) {
        return v;
      }
    }
    malformed = true;
    return 0;
  }

  /** A length of at most 4 varint bytes that fits in what is left of the current message. */
  private int length(byte[] b) {
    int n = 0;
    for (int shift = 0; shift < 28; shift += 7) {
      if (pos >= end) {
        malformed = true;
        return 0;
      }
      byte x = b[pos++];
      n |= (x & 0x7f) << shift;
      if (x >= 0) {
        if (n > end - pos) {
          malformed = true;
          return 0;
        }
        return n;
      }
    }
    malformed = true;
    return 0;
  }
}
