package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LaneSha256} against RFC 6962's reference tree and the JDK's {@code MessageDigest}: every
 * message length that pads to one to five blocks, random nodes and leaves, nodes at offset 0, and
 * output that touches nothing but its own hashes. Needs the {@code jdk.incubator.vector} module and
 * 512-bit vectors (the ledger module's tests run with the module); skipped where they are missing.
 */
class LaneSha256Test {
  private static final int L = LaneSha256.MESSAGES;

  @BeforeEach
  void needsLanes() {
    assumeTrue(ChunkedScan.LANES, "SHA-256 in vector lanes is not usable in this JVM");
  }

  /**
   * The RFC 6962 reference tree of VECTORS.md (from transparency-dev/merkle): its eight leaves in
   * the lanes four times over, then each level's nodes from copies of the level below,
   * up to the root of size 8 — known answers that do not come from {@code MessageDigest}.
   */
  @Test
  void referenceTreeOfRfc6962() {
    HexFormat hex = HexFormat.of();
    String[] inputs = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
    byte[][] entries = new byte[L][];
    for (int j = 0; j < L; j++) {
      entries[j] = hex.parseHex(inputs[j % 8]);
    }
    byte[] level = leaves(entries);
    assertEquals("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", hex.formatHex(level, 0, 32));
    assertEquals("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1", hex.formatHex(level, 7 * 32, 8 * 32));
    assertEquals("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1", hex.formatHex(level, 15 * 32, 16 * 32));
    LaneSha256 lanes = new LaneSha256();
    String[][] expected = {
        {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", // N01, N23, N45, N67
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
        {"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", // N03, N47
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
        {"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"}}; // the root of size 8
    for (String[] want : expected) {
      // Twice as many children as nodes: the level below repeated, so each node is a real one.
      byte[] children = new byte[64 * L];
      for (int c = 0; c < 2 * L; c++) {
        System.arraycopy(level, (c % (2 * want.length)) * 32, children, 32 * c, 32);
      }
      level = new byte[32 * L];
      lanes.nodes(children, 0, level, 0);
      for (int j = 0; j < L; j++) {
        assertEquals(want[j % want.length], hex.formatHex(level, 32 * j, 32 * j + 32), "lane " + j);
      }
    }
  }

  @Test
  void everyLengthUpToFiveBlocksMatchesMessageDigest() throws Exception {
    Random rnd = new Random(1);
    for (int len = 0; len + 1 + 9 <= 5 * 64; len++) {
      byte[][] entries = new byte[L][];
      for (int j = 0; j < L; j++) {
        entries[j] = new byte[len];
        rnd.nextBytes(entries[j]);
      }
      byte[] out = leaves(entries);
      for (int j = 0; j < L; j++) {
        assertArrayEquals(reference((byte) 0, entries[j]), Arrays.copyOfRange(out, 32 * j, 32 * j + 32),
            "length " + len + ", lane " + j);
      }
    }
  }

  @Test
  void lanesOfDifferentLengthsWithTheSameBlockCount() throws Exception {
    Random rnd = new Random(2);
    LaneSha256 lanes = new LaneSha256();
    for (int round = 0; round < 2000; round++) {
      int blocks = 1 + rnd.nextInt(4);
      // Lengths whose 0x00 ‖ entry pads to exactly `blocks` blocks: 1 + len in [64 (blocks-1) - 8, 64 blocks - 9].
      int lo = Math.max(0, 64 * (blocks - 1) - 8);
      int hi = 64 * blocks - 10;
      byte[] buf = new byte[2 * L * (hi + 8) + 64];
      rnd.nextBytes(buf);
      int[] offsets = new int[2 * L];
      int[] lengths = new int[2 * L];
      int[] entries = new int[L];
      int at = 5;
      for (int e = 0; e < 2 * L; e++) {
        lengths[e] = lo + rnd.nextInt(hi - lo + 1);
        offsets[e] = at;
        at += lengths[e] + rnd.nextInt(8);
      }
      // Half of the entries, one of each pair, in a shuffled order, written at their own places.
      for (int j = 0; j < L; j++) {
        entries[j] = 2 * j + rnd.nextInt(2);
      }
      shuffle(entries, rnd);
      byte[] out = new byte[32 * 2 * L];
      Arrays.fill(out, (byte) 0x5a);
      lanes.leaves(buf, offsets, lengths, entries, blocks, out);
      boolean[] written = new boolean[2 * L];
      for (int e : entries) {
        written[e] = true;
        assertArrayEquals(reference((byte) 0, Arrays.copyOfRange(buf, offsets[e], offsets[e] + lengths[e])),
            Arrays.copyOfRange(out, 32 * e, 32 * e + 32), "round " + round + ", entry " + e);
      }
      for (int e = 0; e < 2 * L; e++) {
        if (!written[e]) {
          byte[] untouched = new byte[32];
          Arrays.fill(untouched, (byte) 0x5a);
          assertArrayEquals(untouched, Arrays.copyOfRange(out, 32 * e, 32 * e + 32), "entry " + e + " was not hashed");
        }
      }
    }
  }

  @Test
  void aLeafOfAnotherBlockCountIsRefused() {
    LaneSha256 lanes = new LaneSha256();
    int[] offsets = new int[L];
    int[] lengths = new int[L];
    int[] entries = new int[L];
    for (int j = 0; j < L; j++) {
      entries[j] = j;
      lengths[j] = 100; // 0x00 ‖ 100 bytes pads to 2 blocks
    }
    lengths[7] = 119; // 120 bytes pad to 3
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> lanes.leaves(new byte[200], offsets, lengths, entries, 2, new byte[32 * L]));
    assertEquals("entry 7 of 119 bytes does not pad to 2 blocks", e.getMessage());
  }

  @Test
  void randomNodesMatchMessageDigestAtEveryOffset() throws Exception {
    Random rnd = new Random(3);
    LaneSha256 lanes = new LaneSha256();
    for (int round = 0; round < 3000; round++) {
      // Offset 0 takes the copying path (nothing before the first child to read the 0x01 into).
      int inOff = round % 3 == 0 ? 0 : rnd.nextInt(100);
      int outOff = rnd.nextInt(100);
      byte[] in = new byte[inOff + 64 * L + rnd.nextInt(3)];
      rnd.nextBytes(in);
      if (round % 7 == 0) {
        Arrays.fill(in, (byte) (round % 2 == 0 ? 0 : 0xff));
      }
      byte[] out = new byte[outOff + 32 * L + 7];
      Arrays.fill(out, (byte) 0x33);
      byte[] before = in.clone();
      lanes.nodes(in, inOff, out, outOff);
      assertArrayEquals(before, in, "the children were changed");
      for (int j = 0; j < L; j++) {
        byte[] children = Arrays.copyOfRange(in, inOff + 64 * j, inOff + 64 * j + 64);
        assertArrayEquals(reference((byte) 1, children),
            Arrays.copyOfRange(out, outOff + 32 * j, outOff + 32 * j + 32), "round " + round + ", lane " + j);
      }
      for (int i = 0; i < outOff; i++) {
        assertEquals(0x33, out[i], "byte " + i + " before the output");
      }
      for (int i = outOff + 32 * L; i < out.length; i++) {
        assertEquals(0x33, out[i], "byte " + i + " after the output");
      }
    }
  }

  @Test
  void nodesOutsideTheArraysAreRefused() {
    LaneSha256 lanes = new LaneSha256();
    assertThrows(IndexOutOfBoundsException.class, () -> lanes.nodes(new byte[64 * L - 1], 0, new byte[32 * L], 0));
    assertThrows(IndexOutOfBoundsException.class, () -> lanes.nodes(new byte[64 * L], 0, new byte[32 * L], 1));
    assertThrows(IndexOutOfBoundsException.class, () -> lanes.nodes(new byte[64 * L], -1, new byte[32 * L], 0));
  }

  /**
   * Compiled, the lanes allocate nothing: the speed depends on the JIT turning every vector
   * operation into instructions, and a vector it fails to (for example after a change that stops it
   * inlining a step) is an object per operation, allocated.
   */
  @Test
  void compiledNodeAndLeafHashingAllocateNothing() {
    assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean);
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
    LaneSha256 lanes = new LaneSha256();
    byte[] tree = new byte[64 * L * 64];
    new Random(4).nextBytes(tree);
    byte[] out = new byte[32 * L];
    assertEquals(0, allocatedPerCall(threads, i -> lanes.nodes(tree, 1 + 64 * L * (i % 63), out, 0)),
        "bytes allocated per call of 32 node hashes, compiled");
    // Leaves of 100 bytes (two blocks) at 101-byte strides in the same bytes.
    int[] offsets = new int[L];
    int[] lengths = new int[L];
    int[] entries = new int[L];
    for (int j = 0; j < L; j++) {
      offsets[j] = 101 * j;
      lengths[j] = 100;
      entries[j] = j;
    }
    assertEquals(0, allocatedPerCall(threads, i -> lanes.leaves(tree, offsets, lengths, entries, 2, out)),
        "bytes allocated per call of 32 leaf hashes, compiled");
  }

  /** The least, over batches of 64 calls, of the bytes one call allocated: after C2 compiled it (seconds). */
  private static long allocatedPerCall(com.sun.management.ThreadMXBean threads, java.util.function.IntConsumer call) {
    long perCall = Long.MAX_VALUE;
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (perCall > 0 && System.nanoTime() < deadline) {
      long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
      for (int i = 0; i < 64; i++) {
        call.accept(i);
      }
      perCall = Math.min(perCall, (threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before) / 64);
    }
    return perCall;
  }

  private static byte[] leaves(byte[][] entries) {
    int total = 0;
    for (byte[] e : entries) {
      total += e.length + 3;
    }
    byte[] buf = new byte[total];
    int[] offsets = new int[L];
    int[] lengths = new int[L];
    int[] which = new int[L];
    int at = 0;
    for (int j = 0; j < L; j++) {
      at += 3;
      System.arraycopy(entries[j], 0, buf, at, entries[j].length);
      offsets[j] = at;
      lengths[j] = entries[j].length;
      which[j] = j;
      at += entries[j].length;
    }
    byte[] out = new byte[32 * L];
    new LaneSha256().leaves(buf, offsets, lengths, which, LaneSha256.blocks(entries[0].length + 1L), out);
    return out;
  }

  private static byte[] reference(byte prefix, byte[] m) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(prefix);
    md.update(m);
    return md.digest();
  }

  private static void shuffle(int[] a, Random rnd) {
    for (int i = a.length - 1; i > 0; i--) {
      int k = rnd.nextInt(i + 1);
      int t = a[i];
      a[i] = a[k];
      a[k] = t;
    }
  }
}
