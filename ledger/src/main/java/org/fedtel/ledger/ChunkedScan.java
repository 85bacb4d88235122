package org.fedtel.ledger;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * {@link EntryLog#scan} for the audit, with the hashing spread over threads. The entries file is cut
 * into chunks of whole records (walking the length fields, so a chunk boundary is always a record
 * boundary; the torn-tail rules are {@link EntryLog#scan}'s). There is no reader thread: the thread
 * that claims the next chunk reads it (under a lock, chunks being found in file order) and then
 * checks its record checksums and computes its leaf hashes and the node hashes of every complete
 * subtree (RFC 9162 §2.1.1) that lies inside it. {@code threads} hashing threads only do that; the
 * caller's thread visits the entries strictly in file order, joins the chunks' subtrees onto a
 * {@link CompactRange}, and claims and hashes a chunk itself whenever the one it must visit next is
 * not hashed yet. So the first failing entry is still the one reported, the root of any size is
 * the RFC's, and a thread waits only when the chunks in flight are at their limit or nothing is
 * left to claim.
 *
 * <p>With {@code threads == 0} everything runs on the caller's thread with {@link EntryLog#scan},
 * one leaf hash and one {@link CompactRange#append} per entry: the plain reference the chunked path
 * is tested against ({@code ChunkedScanTest}).
 *
 * <p>No allocation or copy per entry: a chunk's records stay in the buffer they were read into, leaf
 * and node hashes go into one array per chunk, chunk buffers are reused, and each thread keeps one
 * digest, checksum and header reader.
 */
final class ChunkedScan {
  /**
   * Entries per chunk: 2^10, so chunks are whole subtrees and join with O(1) hashes each, and the
   * chunks in flight stay small (every byte the audit allocates is a page touched for the first time,
   * which costs on this machine: docs/LEDGER.md, "Little memory").
   */
  static final int CHUNK_ENTRIES = 1 << 10;
  /** A chunk is closed early past this many bytes (large entries), at any entry count. */
  static final int CHUNK_BYTES = 4 << 20;
  private static final int READ = 64 << 10;
  private static final int FIRST_BUFFER = (128 << 10) + READ;
  private static final int HASH = MerkleTree.HASH_LENGTH;

  /** Called for each entry in file order. */
  interface Visitor {
    /**
     * Called once on the calling thread before the first entry, once the hashing threads have
     * started: work that the visits need but the hashing does not (reading the checkpoints) overlaps
     * with the hashing of the first chunks.
     */
    default void start() throws IOException, LedgerException {
    }

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

    /**
     * Entries {@code [from, to)} of a chunk (from ≥ 1), the first being entry {@code index}, each of
     * which its hashing thread found to continue the entry before it ({@link Headers#continuing}),
     * called right after the entry before them was visited and passed: the visitor may take them all
     * at once and return true ({@link #root(long)} is then defined up to entry {@code index + to -
     * from}), or return false and they are visited one by one. {@code lastOffset} is the file offset
     * of the last one's record.
     */
    default boolean continuing(long index, Headers headers, int from, int to, byte[] leaves, long lastOffset)
        throws LedgerException {
      return false;
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
   *
   * <p>{@link #continuing} goes one step further for the common case, long runs of rounds started and
   * aborted: entry i ≥ 1 continues entry i − 1 when, given that entry i − 1 passed every check, entry i
   * passes every check too, so that the checking thread need only apply its effect. That holds when
   * both are read here and entry i has its index (first + i), a timestamp no earlier than entry i −
   * 1's, previous_hash equal to entry i − 1's leaf ({@link #chained}), and either aborts the round
   * entry i − 1 started (a round started with no sampled site and nothing recorded in it) or starts
   * a round after the one entry i − 1 started or aborted, where an aborted entry i − 1 itself
   * continues (so the round it aborted is the last one started). Anything else ends the run, and
   * the entry that ends it is checked one by one as before.
   */
  static final class Headers {
    static final byte OTHER = 0;
    static final byte ROUND_STARTED = 1;
    static final byte ROUND_ABORTED = 2;

    /** Entries read (the chunk's entries before its first bad checksum). */
    int count;
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
    /** Entry i continues entry i − 1 (see the class comment); false for entry 0. */
    boolean[] continuing = new boolean[0];

    private void ensure(int n) {
      if (kinds.length < n) {
        kinds = new byte[n];
        indexes = new long[n];
        timestamps = new long[n];
        rounds = new long[n];
        previousOffsets = new int[n];
        previousLengths = new int[n];
        chained = new boolean[n];
        continuing = new boolean[n];
      }
    }

    /**
     * Reads entry i, {@code buf[off, off + len)}: its kind and, for the two kinds read here, its
     * header ({@link #link} then compares it with entry i − 1).
     */
    private void read(EntryHeader h, int i, byte[] buf, int off, int len) {
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
    }

    /**
     * Sets {@link #chained} and {@link #continuing} of entry i (entry {@code first + i} of the ledger,
     * read by {@link #read}), whose predecessor's leaf (if i ≥ 1) is in {@code tree}.
     */
    private void link(long first, int i, byte[] buf, byte[] tree) {
      byte kind = kinds[i];
      continuing[i] = false;
      if (kind == OTHER) {
        return;
      }
      chained[i] = i > 0 && previousLengths[i] == HASH
          && Arrays.equals(buf, previousOffsets[i], previousOffsets[i] + HASH, tree, (i - 1) * HASH, i * HASH);
      if (!chained[i] || kinds[i - 1] == OTHER || indexes[i] != first + i || timestamps[i] < timestamps[i - 1]) {
        return;
      }
      if (kind == ROUND_ABORTED) {
        continuing[i] = kinds[i - 1] == ROUND_STARTED && rounds[i] == rounds[i - 1];
      } else {
        continuing[i] = rounds[i] > rounds[i - 1] && (kinds[i - 1] == ROUND_STARTED || continuing[i - 1]);
      }
    }
  }

  /**
   * Whether leaf and node hashes go 32 at a time through {@link LaneSha256} by default: when the JVM
   * has the incubating {@code jdk.incubator.vector} module (an opt-in: {@code
   * FEDTEL_JAVA_OPTS="--add-modules jdk.incubator.vector" ./fedtel ledger verify …}; it pays only in
   * a JVM that audits for long, docs/LEDGER.md), an optimizing compiler that can turn the lanes
   * into vector instructions (C2: not {@code -Xint}, not {@code -XX:TieredStopAtLevel} below 4), a
   * machine whose preferred vectors have 512 bits, and the system property {@code
   * fedtel.ledger.lanes} unset or {@code true} (any other value turns them off). Otherwise every
   * digest goes through {@code MessageDigest}; the roots are the same ({@code ChunkedScanTest}
   * audits with both).
   */
  static final boolean LANES = lanesUsable();

  private static boolean lanesUsable() {
    String property = System.getProperty("fedtel.ledger.lanes");
    if (property != null && !property.equals("true")) {
      return false;
    }
    // Checked before LaneSha256 is loaded: without the module, its class cannot be linked.
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty() || !optimizingCompiler()) {
      return false;
    }
    return LaneSha256.fitsThisMachine();
  }

  /**
   * Whether HotSpot's C2 compiles hot code: without it the Vector API runs its Java fallback, which
   * allocates per operation and is far slower than {@code MessageDigest}.
   */
  private static boolean optimizingCompiler() {
    try {
      HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
      if (vm == null || !Boolean.parseBoolean(vm.getVMOption("UseCompiler").getValue())) {
        return false;
      }
      return !Boolean.parseBoolean(vm.getVMOption("TieredCompilation").getValue())
          || Integer.parseInt(vm.getVMOption("TieredStopAtLevel").getValue()) >= 4;
    } catch (RuntimeException | LinkageError e) {
      return false; // not HotSpot, or no jdk.management: do not guess
    }
  }

  private final Path file;
  private final int threads;
  private final boolean lanes;
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
    this(file, threads, chunkEntries, chunkBytes, LANES);
  }

  /** With {@code lanes}: hash with {@link LaneSha256} (which must be usable: {@link #LANES}). */
  ChunkedScan(Path file, int threads, int chunkEntries, int chunkBytes, boolean lanes) {
    if (lanes && !LANES) {
      throw new IllegalStateException("SHA-256 in vector lanes is not usable in this JVM (needs --add-modules"
          + " jdk.incubator.vector, the C2 compiler and 512-bit vectors; fedtel.ledger.lanes="
          + System.getProperty("fedtel.ledger.lanes") + ")");
    }
    if (threads < 0 || chunkEntries < 1 || chunkBytes < 1) {
      throw new IllegalArgumentException("threads " + threads + ", chunk of " + chunkEntries + " entries and "
          + chunkBytes + " bytes");
    }
    this.file = file;
    this.threads = threads;
    this.chunkEntries = chunkEntries;
    this.chunkBytes = chunkBytes;
    this.lanes = lanes;
  }

  /** The Merkle root of the entries visited so far (callable from the visitor). */
  byte[] root() {
    return current == null || visited == 0 ? range.root() : root(current.first + visited);
  }

  /**
   * The Merkle root of the first {@code size} entries, from the visitor of a chunk's entries (size
   * at most the entries visited, or taken by {@link Visitor#continuing}, and more than those of
   * earlier chunks).
   */
  byte[] root(long size) {
    if (current == null || size <= current.first || size > current.first + visited) {
      throw new IllegalStateException("root of size " + size + " asked outside the chunk being visited");
    }
    CompactRange r = range.copy();
    current.join(r, size);
    return r.root();
  }

  EntryLog.Scan run(Visitor visitor) throws IOException, LedgerException {
    return threads == 0 ? runOnOneThread(visitor) : runChunked(visitor);
  }

  private EntryLog.Scan runOnOneThread(Visitor visitor) throws IOException, LedgerException {
    MessageDigest md = MerkleTree.newSha256();
    byte[] leaf = new byte[HASH];
    visitor.start();
    return EntryLog.scan(file, (index, offset, bytes) -> {
      md.update((byte) 0);
      md.update(bytes);
      digest(md, leaf, 0);
      range.append(leaf, 0);
      visitor.entry(index, offset, bytes, 0, bytes.length, leaf, 0);
    });
  }

  private EntryLog.Scan runChunked(Visitor visitor) throws IOException, LedgerException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      Pipeline pipeline = new Pipeline(new Reader(ch, ch.size()), 2 * threads + 4, lanes);
      Thread[] hashers = new Thread[threads];
      for (int t = 0; t < threads; t++) {
        hashers[t] = new Thread(pipeline::hashChunks, "ledger-hash");
        hashers[t].setDaemon(true);
        hashers[t].start();
      }
      try {
        visitor.start();
        Hasher own = new Hasher(lanes);
        for (long seq = 0; ; seq++) {
          Chunk c = pipeline.next(seq, own);
          current = c;
          visited = 0;
          boolean[] continuing = c.headers.continuing;
          // Entries before this one were offered to the visitor as a run and declined.
          int declined = 0;
          for (int i = 0; i < c.good; i++) {
            visited = i + 1;
            visitor.entry(c.first + i, c.base + c.offsets[i] - 4, c.buf, c.offsets[i], c.lengths[i], c.tree,
                i * HASH, c.headers, i);
            if (i + 1 < declined) {
              continue;
            }
            int to = i + 1;
            while (to < c.good && continuing[to]) {
              to++;
            }
            if (to > i + 1) {
              visited = to;
              if (visitor.continuing(c.first + i + 1, c.headers, i + 1, to, c.tree,
                  c.base + c.offsets[to - 1] - 4)) {
                i = to - 1;
              } else {
                visited = i + 1;
                declined = to;
              }
            }
          }
          if (c.good < c.count) {
            throw new CorruptLedgerException(c.first + c.good, "record checksum mismatch (damaged bytes)");
          }
          c.join(range, c.first + c.count);
          current = null;
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
          pipeline.visited(c);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading the ledger");
      } finally {
        pipeline.cancel();
      }
    }
  }

  /**
   * Chunks between the file and the checking thread. Whichever thread claims the next chunk reads
   * it (under the lock: records are found by walking the length fields, so chunk n + 1 starts where
   * chunk n ends) and then hashes it outside the lock; the hashing threads do only that, and the
   * checking thread does it too whenever the chunk it must check next is not hashed yet — so no
   * thread only reads, and with one hashing thread per spare core a core idles only at the in-flight limit.
   * At most {@code inFlight} chunks are claimed and not yet visited (their buffers are then reused).
   */
  private static final class Pipeline {
    private final Reader reader;
    private final Chunk[] ring;
    private long claimed;
    private long visitedChunks;
    private boolean lastClaimed;
    private boolean cancelled;
    /** The checking thread waits (or is about to) for a chunk to be hashed. */
    private volatile boolean checkerWaiting;
    private final ArrayDeque<Chunk> spare = new ArrayDeque<>();
    private final boolean lanes;

    Pipeline(Reader reader, int inFlight, boolean lanes) {
      this.reader = reader;
      this.ring = new Chunk[inFlight];
      this.lanes = lanes;
    }

    /** A hashing thread: claims and hashes chunks until the last one is claimed or the scan ends. */
    void hashChunks() {
      Hasher hasher = new Hasher(lanes);
      try {
        while (true) {
          Chunk c;
          synchronized (this) {
            while (!cancelled && !lastClaimed && claimed - visitedChunks == ring.length) {
              wait();
            }
            if (cancelled || lastClaimed) {
              return;
            }
            c = claim();
          }
          hash(c, hasher);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // the scan is over
      }
    }

    /** The checking thread: chunk {@code seq}, hashed (by another thread or, meanwhile, by itself). */
    Chunk next(long seq, Hasher own) throws InterruptedException {
      while (true) {
        Chunk mine;
        synchronized (this) {
          while (true) {
            Chunk c = seq < claimed ? ring[(int) (seq % ring.length)] : null;
            if (c != null && c.hashed) {
              return c;
            }
            if (!lastClaimed && claimed - visitedChunks < ring.length) {
              mine = claim();
              break;
            }
            // Only for c to be hashed (c is claimed: chunks before seq were visited, so there is room).
            checkerWaiting = true;
            try {
              if (c == null || !c.hashed) {
                wait();
              }
            } finally {
              checkerWaiting = false;
            }
          }
        }
        hash(mine, own);
      }
    }

    /** Under the lock: the next chunk from the reader, placed in the ring. */
    private Chunk claim() {
      Chunk c = reader.claim(spare);
      c.seq = claimed++;
      c.hashed = false;
      ring[(int) (c.seq % ring.length)] = c;
      if (c.end != null || c.failure != null) {
        lastClaimed = true;
      }
      return c;
    }

    private void hash(Chunk c, Hasher hasher) {
      try {
        c.hash(hasher);
      } catch (RuntimeException | Error e) {
        c.count = 0;
        c.good = 0;
        if (c.failure == null) {
          c.failure = new IllegalStateException("hashing a ledger chunk failed", e);
        }
      }
      // Without the lock unless the checking thread waits: a thread that claims holds the lock while
      // it reads, and the hashing thread would wait for it here. The checking thread sets
      // checkerWaiting before it looks at hashed again, and this thread looks at checkerWaiting after
      // it sets hashed (both volatile), so one of them sees the other's write: no wake-up is lost.
      c.hashed = true;
      if (checkerWaiting) {
        synchronized (this) {
          notifyAll();
        }
      }
    }

    /** The checking thread is done with {@code c}: its buffers may be reused. */
    synchronized void visited(Chunk c) {
      ring[(int) (c.seq % ring.length)] = null;
      visitedChunks++;
      spare.add(c);
      notifyAll();
    }

    synchronized void cancel() {
      cancelled = true;
      notifyAll();
    }
  }

  /** One thread's digests, checksum and header reader, reused for every chunk it hashes. */
  private static final class Hasher {
    final MessageDigest md = MerkleTree.newSha256();
    final CRC32C crc = new CRC32C();
    final EntryHeader header = new EntryHeader();
    final byte[] node = new byte[1 + 2 * HASH];
    /** Null: every digest through {@link #md}. */
    final LaneSha256 lanes;
    /**
     * Leaves waiting for a full set of lanes, by the number of blocks their message pads to (1 to
     * {@link #MAX_LANE_BLOCKS}): {@code waiting[b][0, waitingCount[b])} are entry numbers in the chunk.
     */
    final int[][] waiting;
    final int[] waitingCount;

    Hasher(boolean lanes) {
      node[0] = 1;
      this.lanes = lanes ? new LaneSha256() : null;
      waiting = new int[MAX_LANE_BLOCKS + 1][LaneSha256.MESSAGES];
      waitingCount = new int[MAX_LANE_BLOCKS + 1];
    }
  }

  /**
   * Longer leaves are hashed one by one: a set of lanes takes as many blocks as their longest
   * message, and large entries (signed data uses) are few.
   */
  private static final int MAX_LANE_BLOCKS = 8;

  /** Whole records of the file, their checksums checked and their subtrees hashed by {@link #hash}. */
  private static final class Chunk {
    /**
     * Position in the file (0 for the first chunk); whether {@link #hash} is done (set without the
     * pipeline's lock, which a claiming thread holds while it reads: see {@link Pipeline#hash}).
     */
    long seq;
    volatile boolean hashed;
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
     * On a hashing thread: checksums and headers (while the entry is in this core's cache), leaf
     * hashes (in vector lanes or one by one), the headers' chain flags, then the complete subtrees,
     * level by level.
     */
    void hash(Hasher hasher) {
      CRC32C crc = hasher.crc;
      EntryHeader header = hasher.header;
      headers.ensure(count);
      good = count;
      // The header is read while the entry is in this core's cache after its checksum.
      for (int i = 0; i < count; i++) {
        crc.reset();
        crc.update(buf, offsets[i] - 4, lengths[i] + 4);
        if ((int) crc.getValue() != readInt(buf, offsets[i] + lengths[i])) {
          good = i;
          break;
        }
        headers.read(header, i, buf, offsets[i], lengths[i]);
      }
      // Sized for the entries before the first failing checksum, if any: only those are hashed.
      long end = first + good;
      sizeTree(end);
      if (hasher.lanes != null) {
        leavesInLanes(hasher);
      } else {
        MessageDigest md = hasher.md;
        for (int i = 0; i < good; i++) {
          leaf(md, i);
        }
      }
      // A header is compared with the previous entry's leaf hash, so the leaves come first.
      for (int i = 0; i < good; i++) {
        headers.link(first, i, buf, tree);
      }
      headers.count = good;
      MessageDigest md = hasher.md;
      byte[] node = hasher.node;
      int at = good * HASH;
      for (int l = 1; l < levels; l++) {
        long k0 = (first + (1L << l) - 1) >>> l;
        long k1 = end >>> l;
        levelStart[l] = at;
        levelFirst[l] = k0;
        int children = levelStart[l - 1] + (int) (2 * k0 - levelFirst[l - 1]) * HASH;
        long k = k0;
        if (hasher.lanes != null) {
          // The children of a level lie side by side in the level below: 32 nodes per call.
          for (; k + LaneSha256.MESSAGES <= k1; k += LaneSha256.MESSAGES) {
            hasher.lanes.nodes(tree, children, tree, at);
            children += LaneSha256.MESSAGES * 2 * HASH;
            at += LaneSha256.MESSAGES * HASH;
          }
        }
        for (; k < k1; k++) {
          // SHA-256(0x01 ‖ left ‖ right)
          System.arraycopy(tree, children, node, 1, 2 * HASH);
          md.update(node, 0, node.length);
          digest(md, tree, at);
          children += 2 * HASH;
          at += HASH;
        }
      }
    }

    /**
     * SHA-256(0x00 ‖ entry i) into the tree: the byte before the entry is the low byte of its length
     * field, no longer needed once the checksum is checked and the reader has walked past it, so the
     * prefix is written there and the leaf is hashed in one update, without copying the entry.
     */
    private void leaf(MessageDigest md, int i) {
      int off = offsets[i];
      buf[off - 1] = 0;
      md.update(buf, off - 1, lengths[i] + 1);
      digest(md, tree, i * HASH);
    }

    /**
     * The leaf hashes of the good entries, 32 at a time among entries whose messages pad to the
     * same number of blocks (in file order within each number); the rest one by one.
     */
    private void leavesInLanes(Hasher hasher) {
      int[][] waiting = hasher.waiting;
      int[] waitingCount = hasher.waitingCount;
      MessageDigest md = hasher.md;
      for (int i = 0; i < good; i++) {
        int b = LaneSha256.blocks(lengths[i] + 1L);
        if (b > MAX_LANE_BLOCKS) {
          leaf(md, i);
          continue;
        }
        int[] w = waiting[b];
        w[waitingCount[b]++] = i;
        if (waitingCount[b] == LaneSha256.MESSAGES) {
          hasher.lanes.leaves(buf, offsets, lengths, w, b, tree);
          waitingCount[b] = 0;
        }
      }
      for (int b = 1; b <= MAX_LANE_BLOCKS; b++) {
        for (int j = 0; j < waitingCount[b]; j++) {
          leaf(md, waiting[b][j]);
        }
        waitingCount[b] = 0;
      }
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

  /**
   * Reads records into chunks, one chunk per {@link #claim} (called under the pipeline's lock), in
   * reads of about 64 KiB; when a chunk closes, the bytes read past its last record are carried into
   * the next chunk's buffer. The file's length is taken once, at the start: records appended while
   * the audit runs are not read, like {@link EntryLog#scan}.
   */
  private final class Reader {
    final FileChannel channel;
    final long length;
    Chunk chunk;
    /** Start of the next record in {@code chunk.buf}, and its index. */
    int at;
    long index;
    /** File offset of the next byte to read into {@code chunk.buf[limit]}. */
    long filePos;
    int limit;

    Reader(FileChannel channel, long length) {
      this.channel = channel;
      this.length = length;
    }

    /**
     * The next chunk of whole records; the last one has {@link Chunk#end} or {@link Chunk#failure}
     * set (a failure comes after the records before it, which are still checked first).
     */
    Chunk claim(ArrayDeque<Chunk> spare) {
      try {
        return fillChunk(spare);
      } catch (Exception e) {
        Chunk last = chunk != null ? chunk : new Chunk(0, 0, new byte[0], 1);
        last.failure = e;
        return last;
      }
    }

    private Chunk fillChunk(ArrayDeque<Chunk> spare) throws IOException, LedgerException {
      if (chunk == null) {
        // Below 1 MiB, so that G1 does not allocate chunk buffers as humongous objects (a fresh, zeroed
        // region each, outside the young generation); a chunk that needs more grows its buffer.
        chunk = new Chunk(0, 0, new byte[FIRST_BUFFER], Math.min(chunkEntries, 1 << 16));
        if (length < EntryLog.MAGIC.length) {
          throw new CorruptLedgerException(0, "entries file is " + length + " bytes, shorter than its header");
        }
        fill(EntryLog.MAGIC.length);
        if (!Arrays.equals(chunk.buf, 0, EntryLog.MAGIC.length, EntryLog.MAGIC, 0, EntryLog.MAGIC.length)) {
          throw new CorruptLedgerException(0, "entries file does not start with the fedtel ledger header");
        }
        at = EntryLog.MAGIC.length;
      }
      while (true) {
        walkPlainRecords();
        long pos = chunk.base + at;
        long left = length - pos;
        if (left <= 0) {
          chunk.end = new EntryLog.Scan(index, pos, length, null);
          return chunk;
        }
        if (chunk.count == chunkEntries) {
          return handOver(spare);
        }
        if (left < 8) {
          chunk.end = new EntryLog.Scan(index, pos, length, left + " bytes after the last complete entry,"
              + " too few for a record");
          return chunk;
        }
        fill(at + 4);
        int len = readInt(chunk.buf, at);
        if (len < 0 || len > EntryLog.MAX_ENTRY_BYTES) {
          if (restIsZero(pos + 4)) {
            chunk.end = new EntryLog.Scan(index, pos, length, left + " zero bytes after the last complete entry");
            return chunk;
          }
          throw new CorruptLedgerException(index, "record length field is damaged (" + (len & 0xffffffffL) + ")");
        }
        if (8L + len > left) {
          // As EntryLog.scan: with a complete record after it, the length field is damaged.
          long later = EntryLog.firstCompleteRecord(readAt(pos + 4, (int) (left - 4)), index);
          if (later >= 0) {
            throw new CorruptLedgerException(index, "record length field is damaged (" + len + " bytes, past the end"
                + " of the file, yet a complete record follows " + (later + 4) + " bytes after it)");
          }
          chunk.end = new EntryLog.Scan(index, pos, length, "record of " + len + " bytes is cut off after "
              + (left - 4) + " bytes");
          return chunk;
        }
        if (chunk.count > 0 && at + 8L + len > chunkBytes) {
          return handOver(spare);
        }
        fill(at + 8 + len);
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
            if (restIsZero(pos + 8)) {
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

    /**
     * Adds the records from {@code at} on for which every test of {@link #fillChunk}'s loop passes
     * without reading or deciding anything — the record is wholly read already, its length is valid,
     * it is not the file's last record (whose checksum decides a torn tail), not a possible start of
     * zero fill, and the chunk has room for it — and stops before the first that is not (the loop
     * then takes that one). Most records of a file are plain, and this loop is the serial part of the scan.
     */
    private void walkPlainRecords() {
      Chunk c = chunk;
      byte[] buf = c.buf;
      long fileEnd = length - c.base;
      int a = at;
      int start = c.count;
      int n = start;
      while (n < chunkEntries && a + 8 <= limit) {
        int len = readInt(buf, a);
        if (len < 0 || len > EntryLog.MAX_ENTRY_BYTES) {
          break;
        }
        long next = a + 8L + len;
        if (next > limit || next >= fileEnd || (n > 0 && next > chunkBytes) || (len == 0 && readInt(buf, a + 4) == 0)) {
          break;
        }
        c.add(a + 4, len);
        n++;
        a = (int) next;
      }
      index += n - start;
      at = a;
    }

    /** Closes the current chunk (records before {@code at}) and starts the next with the bytes read past it. */
    private Chunk handOver(ArrayDeque<Chunk> spare) {
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
      at = 0;
      return c;
    }

    /** Makes {@code chunk.buf[0, need)} read, growing the buffer when needed. */
    private void fill(int need) throws IOException {
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

    /** {@code n} bytes of the file from {@code from} (fewer than 8 + {@link EntryLog#MAX_ENTRY_BYTES}). */
    private byte[] readAt(long from, int n) throws IOException {
      ByteBuffer b = ByteBuffer.allocate(n);
      while (b.hasRemaining()) {
        if (channel.read(b, from + b.position()) < 0) {
          throw new EOFException("entries file shrank while it was read");
        }
      }
      return b.array();
    }

    /** Whether the file is zero from {@code from} to {@code length}. */
    private boolean restIsZero(long from) throws IOException {
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
