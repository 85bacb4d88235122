package org.fedtel.ledger;

import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ROR;
import static jdk.incubator.vector.VectorOperators.XOR;

import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * SHA-256 (FIPS 180-4, §6.2) of 32 messages at once, one message per 32-bit lane of two 512-bit
 * vectors, for the audit's leaf and node hashes (RFC 9162 §2.1.1). A Merkle node is two compression
 * blocks and a typical leaf two or three; through {@code MessageDigest} each such short digest pays
 * 34–62 ns of padding, finalization and reset on top of its compressions (docs/BENCHMARKS.md,
 * {@code DigestOverheadBenchmark}). Here sixteen independent messages share every instruction of
 * the compression, and there is no per-digest path at all.
 *
 * <p>It uses the JDK's incubating Vector API ({@code jdk.incubator.vector}, which must be added to
 * the boot layer: {@code --add-modules jdk.incubator.vector}); {@link ChunkedScan} uses it only when
 * that module is there, C2 compiles, and the machine's preferred vectors have 512 bits ({@link
 * ChunkedScan#LANES}), and otherwise hashes with {@code MessageDigest}. {@code LaneSha256Test}
 * checks it against RFC 6962's reference tree, and against {@code MessageDigest} on every length up
 * to five blocks and on random messages.
 *
 * <p>Words are kept word-major: word t of lane j is {@code w[16 t + j]}, so that one vector holds
 * word t of every lane. Not thread-safe (scratch arrays are reused); no allocation per call once
 * compiled.
 */
final class LaneSha256 {
  /** Messages per vector; per call, two groups of sixteen, compressed with their rounds interleaved. */
  static final int LANES = 16;
  static final int MESSAGES = 2 * LANES;
  private static final VectorSpecies<Integer> S = IntVector.SPECIES_512;

  /** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
  private static final int[] K = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
  /** FIPS 180-4 §5.3.3: the initial hash value. */
  private static final int[] H0 = {
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

  /** Gather indexes of word k of every lane from lane-major rows (lane j's 16 words at 16 j), from k. */
  private static final int[] COLUMN = new int[LANES];
  /** Gather indexes of the 8 state words of lanes j and j + 1 (word i of lane j at 16 i + j), from j. */
  private static final int[] TWO_DIGESTS = new int[16];
  /** A node's first word is 0x01 and the first three bytes of its left child: masks that set the 0x01. */
  private static final int[] FIRST_BYTE_CLEAR = new int[16];
  private static final int[] FIRST_BYTE_NODE = new int[16];

  static {
    for (int j = 0; j < LANES; j++) {
      COLUMN[j] = 16 * j;
    }
    for (int m = 0; m < 16; m++) {
      TWO_DIGESTS[m] = (m % 8) * LANES + m / 8;
    }
    Arrays.fill(FIRST_BYTE_CLEAR, -1);
    FIRST_BYTE_CLEAR[0] = 0x00ffffff;
    FIRST_BYTE_NODE[0] = 0x01000000;
  }

  /** Whether this machine's preferred vectors have the 512 bits this class is written for. */
  static boolean fitsThisMachine() {
    return IntVector.SPECIES_PREFERRED.vectorBitSize() >= S.vectorBitSize();
  }

  /**
   * Message schedules of the block being compressed, one per group of sixteen messages (rows 0..15
   * the block, 16..63 expanded).
   */
  private final int[][] w = {new int[64 * LANES], new int[64 * LANES]};
  /**
   * The second block of every node: byte 64 of the message (the right child's last byte), the 0x80
   * that ends it, zeros, and its length, 520 bits (FIPS 180-4 §5.1.1). Rows 1..15 never change.
   */
  private final int[][] nodeTail = {new int[64 * LANES], new int[64 * LANES]};
  private final int[][] state = {new int[8 * LANES], new int[8 * LANES]};
  private final int[] rows = new int[16 * LANES];
  /** A node whose children start at offset 0 of their array: the message copied whole. */
  private final byte[] node = new byte[1 + 2 * MerkleTree.HASH_LENGTH];
  /** The padded leaf messages, one after the other; and their digests. */
  private byte[] padded = new byte[MESSAGES * 2 * 64];
  private final byte[] digests = new byte[MESSAGES * MerkleTree.HASH_LENGTH];

  LaneSha256() {
    for (int[] tail : nodeTail) {
      for (int j = 0; j < LANES; j++) {
        tail[15 * LANES + j] = 520;
      }
    }
    node[0] = 1;
  }

  /** The number of 64-byte blocks of a padded message of {@code bytes} bytes (FIPS 180-4 §5.1.1). */
  static int blocks(long bytes) {
    return (int) ((bytes + 1 + 8 + 63) >>> 6);
  }

  /**
   * {@link #MESSAGES} node hashes of adjacent children: {@code out[outOff + 32 j, +32) = SHA-256(0x01 ‖
   * in[inOff + 64 j, +64))} for j &lt; 32, where {@code in} holds each node's left and right child.
   */
  void nodes(byte[] in, int inOff, byte[] out, int outOff) {
    if (inOff < 0 || inOff + 64 * MESSAGES > in.length || outOff < 0 || outOff + 32 * MESSAGES > out.length) {
      throw new IndexOutOfBoundsException(MESSAGES + " nodes from " + inOff + " of " + in.length + " bytes into "
          + outOff + " of " + out.length);
    }
    IntVector clear = IntVector.fromArray(S, FIRST_BYTE_CLEAR, 0);
    IntVector prefix = IntVector.fromArray(S, FIRST_BYTE_NODE, 0);
    for (int g = 0; g < 2; g++) {
      int[] tail = nodeTail[g];
      for (int j = 0; j < LANES; j++) {
        int at = inOff + 64 * (g * LANES + j);
        // The message's first 64 bytes are 0x01 and in[at, at + 63): read from at - 1, set the first byte.
        IntVector row = at > 0
            ? IntVector.fromByteArray(S, in, at - 1, ByteOrder.BIG_ENDIAN)
            : firstNodeBlock(in, at);
        row.and(clear).or(prefix).intoArray(rows, 16 * j);
        tail[j] = (in[at + 63] << 24) | 0x0080_0000;
      }
      transpose(w[g]);
    }
    start();
    compress(w[0], w[1]);
    compress(nodeTail[0], nodeTail[1]);
    store(out, outOff);
  }

  private IntVector firstNodeBlock(byte[] in, int at) {
    System.arraycopy(in, at, node, 1, 2 * MerkleTree.HASH_LENGTH);
    return IntVector.fromByteArray(S, node, 0, ByteOrder.BIG_ENDIAN);
  }

  /**
   * {@link #MESSAGES} leaf hashes: for j &lt; 32, with e = {@code entries[j]}, {@code out[32 e, +32) =
   * SHA-256(0x00 ‖ buf[offsets[e], + lengths[e]))}. Every one of the messages (one byte longer than
   * its entry) must pad to {@code blocks} blocks ({@link #blocks}).
   */
  void leaves(byte[] buf, int[] offsets, int[] lengths, int[] entries, int blocks, byte[] out) {
    int size = blocks * 64;
    if (padded.length < MESSAGES * size) {
      padded = new byte[MESSAGES * size];
    }
    byte[] p = padded;
    for (int j = 0; j < MESSAGES; j++) {
      int e = entries[j];
      int len = lengths[e];
      if (blocks(len + 1L) != blocks) {
        throw new IllegalArgumentException("entry " + e + " of " + len + " bytes does not pad to " + blocks + " blocks");
      }
      int at = j * size;
      long bits = 8L * (len + 1);
      // 0x00 ‖ entry ‖ 0x80 ‖ zeros ‖ the message's length in bits, big-endian (FIPS 180-4 §5.1.1).
      p[at] = 0;
      System.arraycopy(buf, offsets[e], p, at + 1, len);
      p[at + 1 + len] = (byte) 0x80;
      Arrays.fill(p, at + 2 + len, at + size - 8, (byte) 0);
      for (int i = 0; i < 8; i++) {
        p[at + size - 1 - i] = (byte) (bits >>> (8 * i));
      }
    }
    start();
    for (int b = 0; b < blocks; b++) {
      for (int g = 0; g < 2; g++) {
        for (int j = 0; j < LANES; j++) {
          IntVector.fromByteArray(S, p, (g * LANES + j) * size + b * 64, ByteOrder.BIG_ENDIAN).intoArray(rows, 16 * j);
        }
        transpose(w[g]);
      }
      compress(w[0], w[1]);
    }
    store(digests, 0);
    for (int j = 0; j < MESSAGES; j++) {
      System.arraycopy(digests, j * MerkleTree.HASH_LENGTH, out, entries[j] * MerkleTree.HASH_LENGTH,
          MerkleTree.HASH_LENGTH);
    }
  }

  /** Rows 0..15 of {@code schedule} from the lane-major {@link #rows}. */
  private void transpose(int[] schedule) {
    for (int k = 0; k < 16; k++) {
      IntVector.fromArray(S, rows, k, COLUMN, 0).intoArray(schedule, k * LANES);
    }
  }

  private void start() {
    for (int[] st : state) {
      for (int i = 0; i < 8; i++) {
        IntVector.broadcast(S, H0[i]).intoArray(st, i * LANES);
      }
    }
  }

  /** The digests, each as FIPS 180-4 §6.2.2 step 4's big-endian H0..H7, one after the other. */
  private void store(byte[] out, int outOff) {
    for (int g = 0; g < 2; g++) {
      for (int j = 0; j < LANES; j += 2) {
        IntVector.fromArray(S, state[g], j, TWO_DIGESTS, 0)
            .intoByteArray(out, outOff + 32 * (g * LANES + j), ByteOrder.BIG_ENDIAN);
      }
    }
  }

  /**
   * FIPS 180-4 §6.2.2 on every lane of both groups: rows 0..15 of {@code m0} and {@code m1} hold the
   * blocks, rows 16..63 are overwritten with the rest of their schedules. The two groups' rounds are
   * interleaved: one round depends on the last, and two independent chains keep the vector units
   * busier than one (20 % faster here than a group at a time).
   */
  private void compress(int[] m0, int[] m1) {
    expand(m0);
    expand(m1);
    int[] s0 = state[0];
    int[] s1 = state[1];
    IntVector a = IntVector.fromArray(S, s0, 0);
    IntVector b = IntVector.fromArray(S, s0, LANES);
    IntVector c = IntVector.fromArray(S, s0, 2 * LANES);
    IntVector d = IntVector.fromArray(S, s0, 3 * LANES);
    IntVector e = IntVector.fromArray(S, s0, 4 * LANES);
    IntVector f = IntVector.fromArray(S, s0, 5 * LANES);
    IntVector g = IntVector.fromArray(S, s0, 6 * LANES);
    IntVector h = IntVector.fromArray(S, s0, 7 * LANES);
    IntVector aa = IntVector.fromArray(S, s1, 0);
    IntVector bb = IntVector.fromArray(S, s1, LANES);
    IntVector cc = IntVector.fromArray(S, s1, 2 * LANES);
    IntVector dd = IntVector.fromArray(S, s1, 3 * LANES);
    IntVector ee = IntVector.fromArray(S, s1, 4 * LANES);
    IntVector ff = IntVector.fromArray(S, s1, 5 * LANES);
    IntVector gg = IntVector.fromArray(S, s1, 6 * LANES);
    IntVector hh = IntVector.fromArray(S, s1, 7 * LANES);
    for (int t = 0; t < 64; t++) {
      int k = K[t];
      // T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t, with h + K_t + W_t first: it does not wait for e.
      IntVector t1 = IntVector.fromArray(S, m0, t * LANES).add(k).add(h)
          .add(g.lanewise(XOR, e.and(f.lanewise(XOR, g))))
          .add(e.lanewise(ROR, 6).lanewise(XOR, e.lanewise(ROR, 11)).lanewise(XOR, e.lanewise(ROR, 25)));
      IntVector tt1 = IntVector.fromArray(S, m1, t * LANES).add(k).add(hh)
          .add(gg.lanewise(XOR, ee.and(ff.lanewise(XOR, gg))))
          .add(ee.lanewise(ROR, 6).lanewise(XOR, ee.lanewise(ROR, 11)).lanewise(XOR, ee.lanewise(ROR, 25)));
      // T2 = Σ0(a) + Maj(a, b, c)
      IntVector t2 = a.lanewise(ROR, 2).lanewise(XOR, a.lanewise(ROR, 13)).lanewise(XOR, a.lanewise(ROR, 22))
          .add(a.and(b).or(c.and(a.or(b))));
      IntVector tt2 = aa.lanewise(ROR, 2).lanewise(XOR, aa.lanewise(ROR, 13)).lanewise(XOR, aa.lanewise(ROR, 22))
          .add(aa.and(bb).or(cc.and(aa.or(bb))));
      h = g;
      g = f;
      f = e;
      e = d.add(t1);
      d = c;
      c = b;
      b = a;
      a = t1.add(t2);
      hh = gg;
      gg = ff;
      ff = ee;
      ee = dd.add(tt1);
      dd = cc;
      cc = bb;
      bb = aa;
      aa = tt1.add(tt2);
    }
    // Written out: a helper taking an IntVector allocated a box per call when C2 did not inline it
    // (LaneSha256Test.compiledNodeAndLeafHashingAllocateNothing failed with one).
    a.add(IntVector.fromArray(S, s0, 0)).intoArray(s0, 0);
    b.add(IntVector.fromArray(S, s0, LANES)).intoArray(s0, LANES);
    c.add(IntVector.fromArray(S, s0, 2 * LANES)).intoArray(s0, 2 * LANES);
    d.add(IntVector.fromArray(S, s0, 3 * LANES)).intoArray(s0, 3 * LANES);
    e.add(IntVector.fromArray(S, s0, 4 * LANES)).intoArray(s0, 4 * LANES);
    f.add(IntVector.fromArray(S, s0, 5 * LANES)).intoArray(s0, 5 * LANES);
    g.add(IntVector.fromArray(S, s0, 6 * LANES)).intoArray(s0, 6 * LANES);
    h.add(IntVector.fromArray(S, s0, 7 * LANES)).intoArray(s0, 7 * LANES);
    aa.add(IntVector.fromArray(S, s1, 0)).intoArray(s1, 0);
    bb.add(IntVector.fromArray(S, s1, LANES)).intoArray(s1, LANES);
    cc.add(IntVector.fromArray(S, s1, 2 * LANES)).intoArray(s1, 2 * LANES);
    dd.add(IntVector.fromArray(S, s1, 3 * LANES)).intoArray(s1, 3 * LANES);
    ee.add(IntVector.fromArray(S, s1, 4 * LANES)).intoArray(s1, 4 * LANES);
    ff.add(IntVector.fromArray(S, s1, 5 * LANES)).intoArray(s1, 5 * LANES);
    gg.add(IntVector.fromArray(S, s1, 6 * LANES)).intoArray(s1, 6 * LANES);
    hh.add(IntVector.fromArray(S, s1, 7 * LANES)).intoArray(s1, 7 * LANES);
  }

  /** FIPS 180-4 §6.2.2 step 1: rows 16..63 of the schedule {@code m} from rows 0..15, on every lane. */
  private static void expand(int[] m) {
    for (int t = 16; t < 64; t++) {
      IntVector x2 = IntVector.fromArray(S, m, (t - 2) * LANES);
      IntVector x15 = IntVector.fromArray(S, m, (t - 15) * LANES);
      IntVector s1 = x2.lanewise(ROR, 17).lanewise(XOR, x2.lanewise(ROR, 19)).lanewise(XOR, x2.lanewise(LSHR, 10));
      IntVector s0 = x15.lanewise(ROR, 7).lanewise(XOR, x15.lanewise(ROR, 18)).lanewise(XOR, x15.lanewise(LSHR, 3));
      s1.add(s0).add(IntVector.fromArray(S, m, (t - 7) * LANES)).add(IntVector.fromArray(S, m, (t - 16) * LANES))
          .intoArray(m, t * LANES);
    }
  }
}
