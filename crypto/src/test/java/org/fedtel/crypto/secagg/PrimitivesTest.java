package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class PrimitivesTest {
  private static final HexFormat HEX = HexFormat.of();

  /** RFC 7748 §6.1 Diffie-Hellman test vector. */
  @Test
  void x25519Rfc7748() throws Exception {
    byte[] a = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    byte[] b = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    assertEquals("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
        HEX.formatHex(KeyAgreement.publicKey(a)));
    assertEquals("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
        HEX.formatHex(KeyAgreement.publicKey(b)));
    String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
    assertEquals(shared, HEX.formatHex(KeyAgreement.agree(a, KeyAgreement.publicKey(b), "b")));
    assertEquals(shared, HEX.formatHex(KeyAgreement.agree(b, KeyAgreement.publicKey(a), "a")));
  }

  @Test
  void x25519RejectsLowOrderPoints() {
    byte[] k = KeyAgreement.generatePrivate(new SecureRandom());
    byte[] zero = new byte[32];
    byte[] one = new byte[32];
    one[0] = 1;
    for (byte[] u : new byte[][] {zero, one}) {
      SecAggException e = assertThrows(SecAggException.class, () -> KeyAgreement.agree(k, u, "p"));
      assertEquals(SecAggException.Reason.MALFORMED, e.reason());
    }
    assertThrows(SecAggException.class, () -> KeyAgreement.agree(k, new byte[31], "p"));
  }

  /** The ECB-over-counters PRG equals the JDK's AES/CTR with a zero IV (slow reference). */
  @Test
  void maskPrgEqualsAesCtr() throws Exception {
    SplittableRandom r = new SplittableRandom(3);
    MaskPrg prg = new MaskPrg();
    for (int len : new int[] {1, 2, 3, 2047, 2048, 2049, 5000}) {
      byte[] key = new byte[16];
      for (int i = 0; i < 16; i++) {
        key[i] = (byte) r.nextInt();
      }
      Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
      ctr.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
      ByteBuffer ks = ByteBuffer.wrap(ctr.doFinal(new byte[len * 8])).order(ByteOrder.LITTLE_ENDIAN);
      long[] start = new long[len];
      for (int i = 0; i < len; i++) {
        start[i] = r.nextLong();
      }
      long[] added = start.clone();
      prg.addTo(key, added, false);
      long[] subtracted = start.clone();
      prg.addTo(key, subtracted, true);
      for (int i = 0; i < len; i++) {
        long w = ks.getLong(i * 8);
        assertEquals(start[i] + w, added[i], "len " + len + " word " + i);
        assertEquals(start[i] - w, subtracted[i], "len " + len + " word " + i);
      }
    }
  }

  @Test
  void shamirFieldIsTheSmallestPrimeAbove2To256() {
    assertTrue(Shamir.P.isProbablePrime(128));
    for (int d = 1; d < 297; d += 2) {
      assertTrue(!BigInteger.ONE.shiftLeft(256).add(BigInteger.valueOf(d)).isProbablePrime(64));
    }
  }

  @Test
  void shamirAnyTSharesReconstructFewerFail() throws Exception {
    SecureRandom rnd = Federation.seeded(1, "shamir");
    SplittableRandom pick = new SplittableRandom(5);
    for (int trial = 0; trial < 50; trial++) {
      int n = 2 + pick.nextInt(20);
      int t = 1 + pick.nextInt(n);
      byte[] secret = new byte[32];
      rnd.nextBytes(secret);
      if (trial == 0) {
        java.util.Arrays.fill(secret, (byte) 0xff);
      }
      int[] points = new int[n];
      for (int i = 0; i < n; i++) {
        points[i] = 1 + i * 3;
      }
      byte[][] shares = Shamir.split(secret, t, points, rnd);
      // A random subset of size >= t, in shuffled order.
      int m = t + pick.nextInt(n - t + 1);
      int[] idx = shuffled(n, pick);
      int[] xs = new int[m];
      byte[][] ys = new byte[m][];
      for (int i = 0; i < m; i++) {
        xs[i] = points[idx[i]];
        ys[i] = shares[idx[i]];
      }
      assertArrayEquals(secret, Shamir.reconstruct(xs, ys, t, "o"));
      if (t > 1) {
        SecAggException e = assertThrows(SecAggException.class, () -> Shamir.reconstruct(
            java.util.Arrays.copyOf(xs, t - 1), java.util.Arrays.copyOf(ys, t - 1), t, "o"));
        assertEquals(SecAggException.Reason.TOO_FEW_SURVIVORS, e.reason());
      }
    }
  }

  /** The limb Horner step against BigInteger, at the edges of its bounds and at random. */
  @Test
  void shamirHornerStepMatchesBigInteger() {
    BigInteger p = Shamir.P;
    BigInteger two256 = BigInteger.ONE.shiftLeft(256);
    BigInteger[] edges = {BigInteger.ZERO, BigInteger.ONE, BigInteger.valueOf(296),
        two256.subtract(BigInteger.ONE), two256, p.subtract(BigInteger.ONE),
        two256.subtract(BigInteger.valueOf(297)), BigInteger.ONE.shiftLeft(255)};
    long[] xs = {1, 2, 297, 1000, Integer.MAX_VALUE - 1, Integer.MAX_VALUE};
    for (BigInteger y : edges) {
      for (BigInteger c : edges) {
        for (long x : xs) {
          checkHornerStep(y, c, x);
        }
      }
    }
    SplittableRandom r = new SplittableRandom(11);
    for (int i = 0; i < 20_000; i++) {
      BigInteger y = new BigInteger(257, new java.util.Random(r.nextLong())).mod(p);
      BigInteger c = new BigInteger(257, new java.util.Random(r.nextLong())).mod(p);
      long x = 1 + r.nextInt(i % 2 == 0 ? 2000 : Integer.MAX_VALUE);
      checkHornerStep(y, c, x);
    }
  }

  private static void checkHornerStep(BigInteger y, BigInteger c, long x) {
    long[] yl = limbs(y);
    long[] cl = limbs(c);
    Shamir.mulAddReduce(yl, x, cl, 0);
    BigInteger expected = y.multiply(BigInteger.valueOf(x)).add(c).mod(Shamir.P);
    BigInteger got = BigInteger.ZERO;
    for (int j = Shamir.LIMBS - 1; j >= 0; j--) {
      assertTrue(yl[j] >= 0 && yl[j] <= 0xffff_ffffL, "limb " + j + " out of range");
      got = got.shiftLeft(32).add(BigInteger.valueOf(yl[j]));
    }
    assertEquals(expected, got, "y=" + y + " c=" + c + " x=" + x);
  }

  private static long[] limbs(BigInteger v) {
    long[] out = new long[Shamir.LIMBS];
    for (int j = 0; j < Shamir.LIMBS; j++) {
      out[j] = v.shiftRight(32 * j).longValue() & 0xffff_ffffL;
    }
    return out;
  }

  /**
   * split against the BigInteger Horner evaluation it replaced (same random draws), so seeded
   * rounds give the shares they gave before.
   */
  @Test
  void shamirSplitMatchesBigIntegerReference() {
    SplittableRandom pick = new SplittableRandom(7);
    for (int trial = 0; trial < 30; trial++) {
      int n = 1 + pick.nextInt(trial < 25 ? 40 : 1001);
      int t = 1 + pick.nextInt(n);
      int[] points = new int[n];
      for (int i = 0; i < n; i++) {
        points[i] = trial == 0 ? Integer.MAX_VALUE - i : 1 + i;
      }
      byte[] secret = new byte[32];
      SecureRandom a = Federation.seeded(trial, "split");
      a.nextBytes(secret);
      if (trial == 1) {
        java.util.Arrays.fill(secret, (byte) 0xff);
      }
      byte[][] fast = Shamir.split(secret, t, points, a);
      SecureRandom b = Federation.seeded(trial, "split");
      b.nextBytes(new byte[32]);
      byte[][] slow = referenceSplit(secret, t, points, b);
      for (int i = 0; i < n; i++) {
        assertArrayEquals(slow[i], fast[i], "trial " + trial + " share " + i);
      }
    }
  }

  private static byte[][] referenceSplit(byte[] secret, int t, int[] points, SecureRandom r) {
    BigInteger[] coeff = new BigInteger[t];
    coeff[0] = new BigInteger(1, secret);
    byte[] buf = new byte[33];
    for (int i = 1; i < t; i++) {
      do {
        r.nextBytes(buf);
        buf[0] &= 1;
        coeff[i] = new BigInteger(1, buf);
      } while (coeff[i].compareTo(Shamir.P) >= 0);
    }
    byte[][] out = new byte[points.length][];
    for (int s = 0; s < points.length; s++) {
      BigInteger x = BigInteger.valueOf(points[s]);
      BigInteger y = BigInteger.ZERO;
      for (int i = t - 1; i >= 0; i--) {
        y = y.multiply(x).add(coeff[i]).mod(Shamir.P);
      }
      byte[] raw = y.toByteArray();
      out[s] = new byte[33];
      int len = Math.min(raw.length, 33);
      System.arraycopy(raw, raw.length - len, out[s], 33 - len, len);
    }
    return out;
  }

  @Test
  void shamirDetectsAnInconsistentExtraShare() throws Exception {
    SecureRandom rnd = Federation.seeded(3, "shamir");
    byte[] secret = new byte[32];
    rnd.nextBytes(secret);
    int[] points = {1, 2, 3, 4};
    byte[][] shares = Shamir.split(secret, 3, points, rnd);
    shares[3][20] ^= 4;
    SecAggException e = assertThrows(SecAggException.class,
        () -> Shamir.reconstruct(points, shares, 3, "o"));
    assertEquals(SecAggException.Reason.INCONSISTENT_SHARES, e.reason());
  }

  @Test
  void hkdfInfoSeparatesPurposeRoundAndSites() {
    byte[] ikm = new byte[32];
    byte[] base = Kdf.derive(ikm, "pairwise-mask", 1, "a", "b", 16);
    assertArrayEquals(base, Kdf.derive(ikm, "pairwise-mask", 1, "a", "b", 16));
    assertNotEquals(HEX.formatHex(base), HEX.formatHex(Kdf.derive(ikm, "self-mask", 1, "a", "b", 16)));
    assertNotEquals(HEX.formatHex(base), HEX.formatHex(Kdf.derive(ikm, "pairwise-mask", 2, "a", "b", 16)));
    assertNotEquals(HEX.formatHex(base), HEX.formatHex(Kdf.derive(ikm, "pairwise-mask", 1, "b", "a", 16)));
    // Length prefixes: ("ab", "") and ("a", "b") are different contexts.
    assertNotEquals(HEX.formatHex(Kdf.context("p", 1, "ab", "")), HEX.formatHex(Kdf.context("p", 1, "a", "b")));
  }

  /** RFC 5869 test case 1 for the HKDF we build on (Bouncy Castle's, SHA-256). */
  @Test
  void hkdfRfc5869Case1() {
    var hkdf = new org.bouncycastle.crypto.generators.HKDFBytesGenerator(
        new org.bouncycastle.crypto.digests.SHA256Digest());
    hkdf.init(new org.bouncycastle.crypto.params.HKDFParameters(
        HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
        HEX.parseHex("000102030405060708090a0b0c"), HEX.parseHex("f0f1f2f3f4f5f6f7f8f9")));
    byte[] okm = new byte[42];
    hkdf.generateBytes(okm, 0, 42);
    assertEquals("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        HEX.formatHex(okm));
  }

  private static int[] shuffled(int n, SplittableRandom r) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }
}
