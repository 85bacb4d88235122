package org.fedtel.ledger;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32C;

/**
 * {@link EntryLog#scan} for the audit, with the hashing spread over threads. One thread reads the
 * entries file into chunks of whole records (walking the length fields, so a chunk boundary is
 * always a record boundary; the torn-tail rules are {@link EntryLog#scan}'s); hashing threads check
 * each chunk's record checksums and compute its leaf hashes and then the node hashes of every
 * complete subtree (RFC 9162 §2.1.1) that lies inside the chunk; the caller's thread visits the
 * entries strictly in file order and joins the chunks' subtrees onto a {@link CompactRange}, so the
 * first failing entry is still the one reported and the root of any size is the RFC's.
 *
 * <p>With {@code threads == 0} everything runs on the caller's thread with {@link EntryLog#scan},
 * one leaf hash and one {@link CompactRange#append} per entry: the plain reference the chunked path
 * is tested against ({@code ChunkedScanTest}).
 *
 * <p>No allocation or copy per entry: a chunk's records stay in the buffer they were read into, leaf
 * and node hashes go into one array per chunk, and each hashing thread has one digest per chunk.
 */
final class ChunkedScan {
  /** Entries per chunk: 2^12, so chunks are whole subtrees and join with O(1) hashes each. */
  static final int CHUNK_ENTRIES = 1 << 12;
  /** A chunk is closed early past this many bytes (large entries), at any entry count. */
  static final int CHUNK_BYTES = 4 << 20;
  private static final int READ = 64 << 10;
  private static final int HASH = MerkleTree.HASH_LENGTH;

  /** Called for each entry in file order. */
  interface Visitor {
    /**
     * Entry {@code index}, its record at file {@code offset}, its bytes {@code buf[off, off + len)}
     * and its leaf hash {@code leaves[leafOffset, leafOffset + 32)} (all valid during this call only).
     */
    void entry(long index, long offset, byte[] buf, int off, int len, byte[] leaves, int leafOffset)
        throws LedgerException;

    /**
     * The same, with what a hashing thread read of the entry's header: {@code headers} at position
     * {@code i} of its chunk, or null when no header was read (the one-thread scan).
     */
    default void entry(long index, long offset, byte[] buf, int off, int len, byte[] leaves, int leafOffset,
        Headers headers, int i) throws LedgerException {
      entry(index, offset, buf, off, len, leaves, leafOffset);
    }
  }

  /**
   * The headers of a chunk's entries as its hashing thread read them with {@link EntryHeader}, in
   * primitive arrays, so that the checking thread compares numbers instead of parsing. Only entries
   * of the two kinds a long ledger is mostly made of are read here, exactly as
   * {@code LedgerAudit.checkEntry} would read them ({@link #ROUND_ABORTED}: {@link EntryHeader#read}
   * and {@link EntryHeader#readRoundAborted} both true; {@link #ROUND_STARTED}: the same with
   * {@link EntryHeader#readRoundStarted} and no sampled site); every other entry is {@link #OTHER}
   * and is read by the checking thread from its bytes, as before. Nothing here is a verdict: the
   * checking thread still runs every check, in entry order, with the same messages.
   */
  static final class Headers {
    static final byte OTHER = 0;
    static final byte ROUND_STARTED = 1;
    static final byte ROUND_ABORTED = 2;

    byte[] kinds = new byte[0];
    long[] indexes = new long[0];
    long[] timestamps = new long[0];
    long[] rounds = new long[0];
    /** previous_hash is {@code buf[previousOffsets[i], + previousLengths[i])}. */
    int[] previousOffsets = new int[0];
    int[] previousLengths = new int[0];
    /**
     * For i ≥ 1: previous_hash is 32 bytes equal to entry i − 1's leaf hash (computed in this chunk).
     * Entry 0 of a chunk is compared by the checking thread with the previous chunk's last leaf.
     */
    boolean[] chained = new boolean[0];

    private void ensure(int n) {
      if (kinds.length < n) {
        kinds = new byte[n];
        indexes = new long[n];
        timestamps = new long[n];
        rounds = new long[n];
        previousOffsets = new int[n];
        previousLengths = new int[n];
        chained = new boolean[n];
      }
    }

    /** Reads entry i, {@code buf[off, off + len)}, whose predecessor's leaf (if i ≥ 1) is in {@code tree}. */
    private void read(EntryHeader h, int i, byte[] buf, int off, int len, byte[] tree) {
      byte kind = OTHER;
      if (h.read(buf, off, len)) {
        if (h.kind == EntryHeader.ROUND_ABORTED) {
          kind = h.readRoundAborted(buf) ? ROUND_ABORTED : OTHER;
        } else if (h.kind == EntryHeader.ROUND_STARTED) {
          kind = h.readRoundStarted(buf) && h.sampledSites.isEmpty() ? ROUND_STARTED : OTHER;
        }
      }
      kinds[i] = kind;
      if (kind == OTHER) {
        return;
      }
      indexes[i] = h.index;
      timestamps[i] = h.timestampMillis;
      rounds[i] = h.round;
      previousOffsets[i] = h.previousOffset;
      previousLengths[i] = h.previousLength;
      chained[i] = i > 0 && h.previousLength == HASH
          && Arrays.equals(buf, h.previousOffset, h.previousOffset + HASH, tree, (i - 1) * HASH, i * HASH);
    }
  }

  private final Path file;
  private final int threads;
  private final int chunkEntries;
  private final int chunkBytes;
  /** The tree of the entries before the current chunk (the reference: of all entries visited). */
  private final CompactRange range = new CompactRange();
  /** The chunk being visited and how many of its entries have been visited. */
  private Chunk current;
  private int visited;

  ChunkedScan(Path file, int threads) {
    this(file, threads, CHUNK_ENTRIES, CHUNK_BYTES);
  }

  /** Smaller chunks let tests put chunk boundaries (aligned or not) anywhere in a small ledger. */
  ChunkedScan(Path file, int threads, int chunkEntries, int chunkBytes) {
    if (threads < 0 || chunkEntries < 1 || chunkBytes < 1) {
      throw new IllegalArgumentException("threads " + threads + ", chunk of " + chunkEntries + " entries and "
          + chunkBytes + " bytes");
    }
    this.file = file;
    this.threads = threads;
    this.chunkEntries = chunkEntries;
    this.chunkBytes = chunkBytes;
  }

  /** The Merkle root of the entries visited so far (callable from the visitor). */
  byte[] root() {
    if (current == null) {
      return range.root();
    }
    CompactRange r = range.copy();
    current.join(r, current.first + visited);
    return r.root();
  }

  EntryLog.Scan run(Visitor visitor) throws IOException, LedgerException {
    return threads == 0 ? runOnOneThread(visitor) : runChunked(visitor);
  }

  private EntryLog.Scan runOnOneThread(Visitor visitor) throws IOException, LedgerException {
    MessageDigest md = MerkleTree.newSha256();
    byte[] leaf = new byte[HASH];
    return EntryLog.scan(file, (index, offset, bytes) -> {
      md.update((byte) 0);
      md.update(bytes);
      digest(md, leaf, 0);
      range.append(leaf, 0);
      visitor.entry(index, offset, bytes, 0, bytes.length, leaf, 0);
    });
  }

  private EntryLog.Scan runChunked(Visitor visitor) throws IOException, LedgerException {
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "ledger-hash");
      t.setDaemon(true);
      return t;
    });
    BlockingQueue<Future<Chunk>> queue = new ArrayBlockingQueue<>(2 * threads + 2);
    // Visited chunks go back to the reader: their buffers are reused rather than allocated and zeroed.
    BlockingQueue<Chunk> spare = new ArrayBlockingQueue<>(2 * threads + 4);
    Thread reader = new Thread(() -> read(pool, queue, spare), "ledger-read");
    reader.setDaemon(true);
    reader.start();
    try {
      while (true) {
        Chunk c = queue.take().get();
        current = c;
        visited = 0;
        for (int i = 0; i < c.good; i++) {
          visited = i + 1;
          visitor.entry(c.first + i, c.base + c.offsets[i] - 4, c.buf, c.offsets[i], c.lengths[i], c.tree,
              i * HASH, c.headers, i);
        }
        if (c.good < c.count) {
          throw new CorruptLedgerException(c.first + c.good, "record checksum mismatch (damaged bytes)");
        }
        c.join(range, c.first + c.count);
        current = null;
        if (c.end == null && c.failure == null) {
          spare.offer(c);
        }
        if (c.failure instanceof LedgerException e) {
          throw e;
        }
        if (c.failure instanceof IOException e) {
          throw e;
        }
        if (c.failure != null) {
          throw new IllegalStateException("ledger scan failed", c.failure);
        }
        if (c.end != null) {
          return c.end;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading the ledger");
    } catch (ExecutionException e) {
      throw new IllegalStateException("hashing a ledger chunk failed", e.getCause());
    } finally {
      reader.interrupt();
      pool.shutdownNow();
    }
  }

  /** Whole records of the file, their checksums checked and their subtrees hashed by {@link #hash}. */
  private static final class Chunk {
    /** Index of the first entry, file offset of {@code buf[0]}. */
    long first;
    long base;
    byte[] buf;
    /** Entry i is {@code buf[offsets[i], offsets[i] + lengths[i])}, after its 4-byte length. */
    int[] offsets;
    int[] lengths;
    int count;
    /** Entries before the first whose checksum fails (all of them when none does). */
    int good;
    /**
     * Hashes of every complete subtree inside the chunk, by level: level l holds the nodes k with
     * k·2^l ≥ first and (k+1)·2^l ≤ first + good, from {@code levelStart[l]} (32 bytes each, level 0
     * being the leaves).
     */
    byte[] tree;
    final int[] levelStart = new int[64];
    final long[] levelFirst = new long[64];
    int levels;
    /** The entries' headers, read on the hashing thread (only for the {@link #good} entries). */
    final Headers headers = new Headers();
    /** What the reader stopped on after the last record: the end of the file, or a failure. */
    EntryLog.Scan end;
    Exception failure;

    Chunk(long first, long base, byte[] buf, int entries) {
      this.first = first;
      this.base = base;
      this.buf = buf;
      offsets = new int[entries];
      lengths = new int[entries];
    }

    /** This (visited) chunk's arrays for new records from entry {@code first} at file offset {@code base}. */
    Chunk reuse(long first, long base) {
      this.first = first;
      this.base = base;
      count = 0;
      good = 0;
      return this;
    }

    void add(int offset, int length) {
      if (count == offsets.length) {
        offsets = Arrays.copyOf(offsets, 2 * count);
        lengths = Arrays.copyOf(lengths, 2 * count);
      }
      offsets[count] = offset;
      lengths[count++] = length;
    }

    /**
     * On a hashing thread: checksums, leaf hashes and headers (while the entry is in this core's
     * cache), then the complete subtrees, level by level.
     */
    Chunk hash() {
      MessageDigest md = MerkleTree.newSha256();
      CRC32C crc = new CRC32C();
      EntryHeader header = new EntryHeader();
      headers.ensure(count);
      // Sized for every entry; if a checksum fails, only the entries before it are hashed.
      long end = first + count;
      sizeTree(end);
      good = count;
      for (int i = 0; i < count; i++) {
        int off = offsets[i];
        int len = lengths[i];
        crc.reset();
        crc.update(buf, off - 4, len + 4);
        if ((int) crc.getValue() != readInt(buf, off + len)) {
          good = i;
          break;
        }
        // SHA-256(0x00 ‖ entry): the byte before the entry is the low byte of its length field, no
        // longer needed once the checksum is checked and the reader has walked past it, so the prefix
        // is written there and the leaf is hashed in one update, without copying the entry.
        buf[off - 1] = 0;
        md.update(buf, off - 1, len + 1);
        digest(md, tree, i * HASH);
        headers.read(header, i, buf, off, len, tree);
      }
      if (good < count) {
        end = first + good;
        sizeTree(end);
      }
      byte[] node = new byte[1 + 2 * HASH];
      node[0] = 1;
      int at = good * HASH;
      for (int l = 1; l < levels; l++) {
        long k0 = (first + (1L << l) - 1) >>> l;
        long k1 = end >>> l;
        levelStart[l] = at;
        levelFirst[l] = k0;
        int children = levelStart[l - 1] + (int) (2 * k0 - levelFirst[l - 1]) * HASH;
        for (long k = k0; k < k1; k++) {
          // SHA-256(0x01 ‖ left ‖ right); the children lie side by side in the level below.
          System.arraycopy(tree, children, node, 1, 2 * HASH);
          md.update(node, 0, node.length);
          digest(md, tree, at);
          children += 2 * HASH;
          at += HASH;
        }
      }
      return this;
    }

    /**
     * Sets {@link #levels} for the entries [first, end) and makes {@link #tree} large enough for
     * their leaves and the nodes of every complete subtree among them (leaf hashes already in it stay).
     */
    private void sizeTree(long end) {
      levels = 1;
      int nodes = (int) (end - first);
      while ((end >>> levels) > ((first + (1L << levels) - 1) >>> levels)) {
        nodes += (int) ((end >>> levels) - ((first + (1L << levels) - 1) >>> levels));
        levels++;
      }
      if (tree == null || tree.length < nodes * HASH) {
        tree = tree == null ? new byte[nodes * HASH] : Arrays.copyOf(tree, nodes * HASH);
      }
      levelStart[0] = 0;
      levelFirst[0] = first;
    }

    /** Appends entries [first, to) to {@code range} (of size first) as the largest aligned subtrees. */
    void join(CompactRange range, long to) {
      long p = first;
      while (p < to) {
        int l = Math.min(Long.numberOfTrailingZeros(p), levels - 1);
        while (p + (1L << l) > to) {
          l--;
        }
        range.appendSubtree(tree, levelStart[l] + (int) ((p >>> l) - levelFirst[l]) * HASH, l);
        p += 1L << l;
      }
    }
  }

  /** The reader thread: records into chunks, each handed to the pool in file order. */
  private void read(ExecutorService pool, BlockingQueue<Future<Chunk>> queue, BlockingQueue<Chunk> spare) {
    Reader in = new Reader(spare);
    Chunk last;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      in.channel = ch;
      last = in.readAll(pool, queue);
    } catch (Exception e) {
      last = in.chunk != null ? in.chunk : new Chunk(0, 0, new byte[0], 1);
      last.failure = e instanceof InterruptedException ? new InterruptedIOException("ledger read cancelled") : e;
    }
    Chunk done = last;
    try {
      queue.put(pool.submit(done::hash));
    } catch (InterruptedException | RuntimeException e) {
      Thread.currentThread().interrupt(); // the audit is over (or cancelled) and nobody waits
    }
  }

  /**
   * Reads records into the current chunk's buffer in reads of about 64 KiB; when a chunk closes,
   * the bytes read past its last record are carried into the next chunk's buffer.
   */
  private final class Reader {
    final BlockingQueue<Chunk> spare;
    FileChannel channel;
    Chunk chunk;
    /** File offset of the next byte to read into {@code chunk.buf[limit]}. */
    long filePos;
    int limit;

    Reader(BlockingQueue<Chunk> spare) {
      this.spare = spare;
    }

    Chunk readAll(ExecutorService pool, BlockingQueue<Future<Chunk>> queue)
        throws IOException, LedgerException, InterruptedException {
      long length = channel.size();
      chunk = new Chunk(0, 0, new byte[Math.max(READ, 1 << 20)], Math.min(chunkEntries, 1 << 16));
      if (length < EntryLog.MAGIC.length) {
        throw new CorruptLedgerException(0, "entries file is " + length + " bytes, shorter than its header");
      }
      fill(EntryLog.MAGIC.length, 0, length);
      if (!Arrays.equals(chunk.buf, 0, EntryLog.MAGIC.length, EntryLog.MAGIC, 0, EntryLog.MAGIC.length)) {
        throw new CorruptLedgerException(0, "entries file does not start with the fedtel ledger header");
      }
      int at = EntryLog.MAGIC.length; // start of the next record in chunk.buf
      long index = 0;
      while (true) {
        long pos = chunk.base + at;
        long left = length - pos;
        if (left <= 0) {
          chunk.end = new EntryLog.Scan(index, pos, length, null);
          return chunk;
        }
        if (chunk.count == chunkEntries) {
          at = next(at, index, pool, queue);
        }
        if (left < 8) {
          chunk.end = new EntryLog.Scan(index, pos, length, left + " bytes after the last complete entry,"
              + " too few for a record");
          return chunk;
        }
        fill(at, 4, length);
        int len = readInt(chunk.buf, at);
        if (len < 0 || len > EntryLog.MAX_ENTRY_BYTES) {
          if (restIsZero(pos + 4, length)) {
            chunk.end = new EntryLog.Scan(index, pos, length, left + " zero bytes after the last complete entry");
            return chunk;
          }
          throw new CorruptLedgerException(index, "record length field is damaged (" + (len & 0xffffffffL) + ")");
        }
        if (8L + len > left) {
          chunk.end = new EntryLog.Scan(index, pos, length, "record of " + len + " bytes is cut off after "
              + (left - 4) + " bytes");
          return chunk;
        }
        if (chunk.count > 0 && at + 8L + len > chunkBytes) {
          at = next(at, index, pool, queue);
        }
        fill(at, 8 + len, length);
        // The hashing threads check ordinary records' checksums; the two cases in which a failing
        // checksum means a torn tail rather than damage are decided here, as EntryLog.scan does.
        int stored = readInt(chunk.buf, at + 4 + len);
        boolean lastRecord = 8L + len == left;
        if (lastRecord || (len == 0 && stored == 0)) {
          CRC32C crc = new CRC32C();
          crc.update(chunk.buf, at, 4 + len);
          if (stored != (int) crc.getValue()) {
            if (lastRecord) {
              chunk.end = new EntryLog.Scan(index, pos, length, "last record (" + len + " bytes) fails its checksum");
              return chunk;
            }
            if (restIsZero(pos + 8, length)) {
              chunk.end = new EntryLog.Scan(index, pos, length, left + " zero bytes after the last complete entry");
              return chunk;
            }
            throw new CorruptLedgerException(index, "record checksum mismatch (damaged bytes)");
          }
        }
        chunk.add(at + 4, len);
        at += 8 + len;
        index++;
      }
    }

    /** Hands the current chunk (records before {@code at}) to the pool; returns where the next record starts. */
    private int next(int at, long index, ExecutorService pool, BlockingQueue<Future<Chunk>> queue)
        throws InterruptedException {
      Chunk c = chunk;
      int carried = limit - at;
      Chunk next = spare.poll();
      // The next buffer keeps the size this one grew to, but not that of a single huge entry.
      int size = Math.max(carried + READ, Math.min(c.buf.length, chunkBytes + READ));
      if (next == null) {
        next = new Chunk(index, c.base + at, new byte[size], c.offsets.length);
      } else {
        next.reuse(index, c.base + at);
        if (next.buf.length < carried + READ || next.buf.length > 2 * size) {
          next.buf = new byte[size];
        }
      }
      System.arraycopy(c.buf, at, next.buf, 0, carried);
      chunk = next;
      limit = carried;
      queue.put(pool.submit(c::hash));
      return 0;
    }

    /** Makes {@code chunk.buf[at, at + n)} read, growing the buffer when needed. */
    private void fill(int at, int n, long length) throws IOException {
      int need = at + n;
      if (limit >= need) {
        return;
      }
      if (need > chunk.buf.length) {
        chunk.buf = Arrays.copyOf(chunk.buf, Math.max(need, Math.min(2 * chunk.buf.length, need + (1 << 20))));
      }
      ByteBuffer b = ByteBuffer.wrap(chunk.buf);
      while (limit < need) {
        long left = length - filePos;
        int want = (int) Math.min(Math.min(Math.max(need - limit, READ), chunk.buf.length - limit), left);
        if (want <= 0) {
          throw new EOFException("entries file shrank while it was read");
        }
        b.limit(limit + want).position(limit);
        int r = channel.read(b, filePos);
        if (r < 0) {
          throw new EOFException("entries file shrank while it was read");
        }
        limit += r;
        filePos += r;
      }
    }

    /** Whether the file is zero from {@code from} to {@code length}. */
    private boolean restIsZero(long from, long length) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(READ);
      long p = from;
      while (p < length) {
        b.clear();
        b.limit((int) Math.min(READ, length - p));
        int r = channel.read(b, p);
        if (r < 0) {
          return false;
        }
        for (int i = 0; i < r; i++) {
          if (b.get(i) != 0) {
            return false;
          }
        }
        p += r;
      }
      return true;
    }
  }

  private static int readInt(byte[] b, int at) {
    return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
  }

  private static void digest(MessageDigest md, byte[] out, int offset) {
    try {
      md.digest(out, offset, HASH);
    } catch (DigestException e) {
      throw new IllegalStateException("SHA-256 output does not fit 32 bytes", e);
    }
  }
}
