package org.fedtel.crypto.secagg;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * The mask PRG: AES-128 in counter mode (NIST SP 800-38A) with a zero initial counter, each key
 * used for one mask only. The JDK's CTR path is slow, so the keystream is computed as AES-ECB over
 * a reusable buffer of big-endian counter blocks (identical output, verified in tests) and added
 * into the accumulator as little-endian 64-bit words, without per-element allocation. One instance
 * per thread. Public so that benchmarks can measure mask expansion on its own; the engines are its
 * only other users.
 */
public final class MaskPrg {
  /** AES-128 key length. */
  public static final int KEY_LENGTH = 16;
  private static final int BLOCKS = 1024;
  private static final int BUFFER = BLOCKS * 16;
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_BE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private final byte[] counters = new byte[BUFFER];
  private final byte[] stream = new byte[BUFFER];
  private final Cipher ecb;

  public MaskPrg() {
    try {
      ecb = Cipher.getInstance("AES/ECB/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/ECB unavailable", e);
    }
  }

  /** acc[i] += sign · word_i for i < acc.length, where word_i is the i-th 64-bit keystream word. */
  public void addTo(byte[] key, long[] acc, boolean subtract) {
    if (key.length != KEY_LENGTH) {
      throw new IllegalArgumentException("mask key must be 16 bytes");
    }
    try {
      ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES key rejected", e);
    }
    long block = 0;
    int done = 0;
    while (done < acc.length) {
      int words = Math.min(BUFFER / 8, acc.length - done);
      int bytes = ((words * 8 + 15) / 16) * 16;
      for (int off = 0; off < bytes; off += 16) {
        LONG_BE.set(counters, off + 8, block++);
      }
      try {
        ecb.update(counters, 0, bytes, stream, 0);
      } catch (ShortBufferException e) {
        throw new IllegalStateException(e);
      }
      if (subtract) {
        for (int j = 0; j < words; j++) {
          acc[done + j] -= (long) LONG_LE.get(stream, j * 8);
        }
      } else {
        for (int j = 0; j < words; j++) {
          acc[done + j] += (long) LONG_LE.get(stream, j * 8);
        }
      }
      done += words;
    }
  }
}
