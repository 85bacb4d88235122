package org.fedtel.simulations.federation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class SeededStreamTest {
  private static byte[] seed(int b) {
    byte[] s = new byte[32];
    s[0] = (byte) b;
    return s;
  }

  @Test
  void outputIsTheAesCtrKeystreamOfTheSeed() throws Exception {
    Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed(7), "AES"), new IvParameterSpec(new byte[16]));
    byte[] expected = c.doFinal(new byte[20_000]); // crosses the 8 KiB refill boundary twice
    byte[] got = new byte[20_000];
    new SeededStream(seed(7)).nextBytes(got);
    assertArrayEquals(expected, got);
    // Words are read little-endian from the same stream.
    SeededStream s = new SeededStream(seed(7));
    ByteBuffer words = ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 1024; i++) {
      assertEquals(words.getLong(), s.nextLong(), "word " + i);
    }
  }

  @Test
  void sameSeedSameStreamOtherSeedOtherStream() {
    SeededStream a = new SeededStream(seed(1));
    SeededStream b = new SeededStream(seed(1));
    SeededStream c = new SeededStream(seed(2));
    long[] x = new long[3000];
    boolean differs = false;
    for (int i = 0; i < x.length; i++) {
      long v = a.nextLong();
      assertEquals(v, b.nextLong());
      differs |= v != c.nextLong();
      double d = a.nextDouble();
      b.nextDouble();
      c.nextDouble();
      assertTrue(d >= 0 && d < 1, "nextDouble in [0, 1): " + d);
    }
    assertTrue(differs);
    assertNotEquals(new SeededStream(seed(3)).nextLong(), new SeededStream(seed(4)).nextLong());
  }

  @Test
  void boundedDrawsAreRoughlyUniform() {
    SeededStream s = new SeededStream(seed(9));
    int[] counts = new int[10];
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      counts[(int) s.nextLong(10)]++;
    }
    double chi2 = 0;
    for (int c : counts) {
      chi2 += (c - n / 10.0) * (c - n / 10.0) / (n / 10.0);
    }
    assertTrue(chi2 < 27.9, "chi-square with 9 degrees of freedom, p > 0.001: " + chi2);
  }

  @Test
  void rejectsBadSeedsAndReseeding() {
    assertThrows(IllegalArgumentException.class, () -> new SeededStream(new byte[16]));
    assertThrows(UnsupportedOperationException.class, () -> new SeededStream(seed(1)).setSeed(new byte[32]));
    assertThrows(UnsupportedOperationException.class, () -> new SeededStream(seed(1)).setSeed(42L));
  }
}
