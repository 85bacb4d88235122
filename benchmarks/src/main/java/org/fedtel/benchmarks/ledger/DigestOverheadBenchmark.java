package org.fedtel.benchmarks.ledger;

import java.security.DigestException;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the JDK's {@code MessageDigest} costs per digest beyond its SHA-256 compressions, the part of
 * the audit's hashing floor that is neither reading nor compressing. The audit computes two million
 * digests of two compression blocks each for a million entries: a leaf of ~96 bytes (0x00 and the
 * entry) and an interior node of 65 bytes (0x01 and two hashes). {@link #leafAndNodeDigests} does
 * {@code pairs} of those, {@link #sameBlocksAsOneStream} compresses the same number of blocks as one
 * stream (one digest), both from a few KiB that stay in the core's cache, so the difference is the
 * per-digest work alone: padding, finalization, the output conversion and the reset.
 *
 * <p>{@code (leafAndNodeDigests − sameBlocksAsOneStream) / (2 · pairs)} is that cost per digest.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class DigestOverheadBenchmark {
  /** Leaf and node digests per call: 1 024, one chunk of the audit. */
  @Param("1024")
  public int pairs;

  /** The benchmark ledger's leaf input: 1 + its entries' 95 bytes; two blocks once padded. */
  static final int LEAF = 96;
  static final int NODE = 65;

  private MessageDigest md;
  private byte[] leaves;
  private byte[] node;
  private byte[] out;
  private byte[] stream;

  @Setup
  public void setup() throws Exception {
    md = MessageDigest.getInstance("SHA-256");
    SplittableRandom random = new SplittableRandom(1);
    // 16 distinct leaves, reused: the inputs stay in cache, as a chunk's entries do in the audit.
    leaves = new byte[16 * LEAF];
    for (int i = 0; i < leaves.length; i++) {
      leaves[i] = (byte) random.nextInt(256);
    }
    node = new byte[NODE];
    node[0] = 1;
    out = new byte[64];
    // Two blocks per digest, padding included (96 + 9 and 65 + 9 bytes both need two): 4 per pair.
    stream = new byte[4 * 64 * pairs];
    for (int i = 0; i < stream.length; i++) {
      stream[i] = (byte) random.nextInt(256);
    }
    if (blocks(LEAF) != 2 || blocks(NODE) != 2) {
      throw new IllegalStateException("the block count of the stream no longer matches the digests");
    }
  }

  /** SHA-256 compression blocks of a message of {@code n} bytes, padding included (FIPS 180-4 §5.1.1). */
  static int blocks(int n) {
    return (n + 1 + 8 + 63) / 64;
  }

  /** {@code pairs} leaf digests and as many node digests, as the audit's hashing loop makes them. */
  @Benchmark
  public byte leafAndNodeDigests() throws DigestException {
    for (int i = 0; i < pairs; i++) {
      md.update(leaves, (i & 15) * LEAF, LEAF);
      md.digest(out, 0, 32);
      System.arraycopy(out, 0, node, 1, 32);
      System.arraycopy(out, 0, node, 33, 32);
      md.update(node, 0, NODE);
      md.digest(out, 32, 32);
    }
    return out[63];
  }

  /** The same number of compression blocks as one message (the last block being its padding). */
  @Benchmark
  public byte sameBlocksAsOneStream() throws DigestException {
    // 4 · pairs blocks in all: the stream's bytes minus one block, plus one block of padding.
    md.update(stream, 0, stream.length - 64);
    md.digest(out, 0, 32);
    return out[0];
  }
}
