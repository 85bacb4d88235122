package org.fedtel.simulations.federation;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A {@link SecureRandom} whose output is the AES-256-CTR keystream under a 32-byte seed (counter
 * from zero): the output is fixed by the seed, so a simulated site's key generation, Shamir shares
 * and discrete Gaussian noise are reproducible. Simulations only — a deployed site uses an
 * unpredictable source.
 *
 * <p>Why not SHA1PRNG: the exact discrete Gaussian sampler draws a few dozen random words per
 * coordinate, and SHA1PRNG serves each 4-byte {@code next(32)} through a synchronized call that
 * hashes every 20 bytes; profiling a 100-site round showed it taking over half of the run. Here the
 * keystream is produced 8 KiB at a time (AES-NI) and words are read straight from the buffer.
 *
 * <p>Not thread-safe: each simulated site owns one and uses it from one thread at a time.
 */
final class SeededStream extends SecureRandom {
  private static final long serialVersionUID = 1L;
  private static final int BLOCK = 8192;

  private final transient Cipher cipher;
  private final byte[] zeros = new byte[BLOCK];
  private final byte[] buffer = new byte[BLOCK];
  private int position = BLOCK;

  SeededStream(byte[] seed) {
    super(new NoSpi(), null);
    if (seed.length != 32) {
      throw new IllegalArgumentException("seed must be 32 bytes, was " + seed.length);
    }
    try {
      cipher = Cipher.getInstance("AES/CTR/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(new byte[16]));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/CTR is missing from this JDK", e);
    }
  }

  private void refill() {
    try {
      int n = cipher.update(zeros, 0, BLOCK, buffer, 0);
      if (n != BLOCK) {
        throw new IllegalStateException("AES-CTR returned " + n + " bytes for a block of " + BLOCK);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-CTR keystream failed", e);
    }
    position = 0;
  }

  @Override
  public void nextBytes(byte[] bytes) {
    int done = 0;
    while (done < bytes.length) {
      if (position == BLOCK) {
        refill();
      }
      int n = Math.min(bytes.length - done, BLOCK - position);
      System.arraycopy(buffer, position, bytes, done, n);
      position += n;
      done += n;
    }
  }

  @Override
  public long nextLong() {
    if (position > BLOCK - 8) {
      if (position != BLOCK) {
        position = BLOCK; // drop a partial word: the stream stays a function of the seed and the calls
      }
      refill();
    }
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v |= (buffer[position + i] & 0xFFL) << (8 * i);
    }
    position += 8;
    return v;
  }

  @Override
  public int nextInt() {
    return (int) (nextLong() >>> 32);
  }

  @Override
  public boolean nextBoolean() {
    return nextLong() < 0;
  }

  @Override
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  @Override
  public float nextFloat() {
    return (nextLong() >>> 40) * 0x1.0p-24f;
  }

  @Override
  public byte[] generateSeed(int numBytes) {
    byte[] b = new byte[numBytes];
    nextBytes(b);
    return b;
  }

  @Override
  public void setSeed(long seed) {
    // Called by the Random constructor before the cipher exists; after that the stream is fixed by
    // its seed, and a later reseed is refused rather than silently ignored.
    if (cipher != null) {
      throw new UnsupportedOperationException("a seeded simulation stream cannot be reseeded");
    }
  }

  @Override
  public void setSeed(byte[] seed) {
    throw new UnsupportedOperationException("a seeded simulation stream cannot be reseeded");
  }

  @Override
  public String getAlgorithm() {
    return "fedtel-simulation-AES-CTR";
  }

  /** Never called: every generating method is overridden above. */
  private static final class NoSpi extends SecureRandomSpi {
    private static final long serialVersionUID = 1L;

    @Override
    protected void engineSetSeed(byte[] seed) {
      throw new UnsupportedOperationException();
    }

    @Override
    protected void engineNextBytes(byte[] bytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    protected byte[] engineGenerateSeed(int numBytes) {
      throw new UnsupportedOperationException();
    }
  }
}
