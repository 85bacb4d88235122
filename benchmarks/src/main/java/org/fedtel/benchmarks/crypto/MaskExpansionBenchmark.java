package org.fedtel.benchmarks.crypto;

import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.fedtel.crypto.secagg.MaskPrg;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Mask expansion: AES-128-CTR keystream added into a {@code long[]} of {@code words} elements
 * (8·words bytes per operation). Baseline in the same run: the JDK's {@code AES/CTR/NoPadding}
 * producing the same number of keystream bytes into a reusable buffer (no addition).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MaskExpansionBenchmark {
  @Param({"100000"})
  public int words;

  private final byte[] key = new byte[MaskPrg.KEY_LENGTH];
  private MaskPrg prg;
  private long[] acc;
  private Cipher ctr;
  private byte[] zeros;
  private byte[] out;

  @Setup
  public void setup() throws GeneralSecurityException {
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) (i * 37 + 1);
    }
    prg = new MaskPrg();
    acc = new long[words];
    ctr = Cipher.getInstance("AES/CTR/NoPadding");
    zeros = new byte[words * 8];
    out = new byte[words * 8];
  }

  @Benchmark
  public long[] maskPrgAddTo() {
    prg.addTo(key, acc, false);
    return acc;
  }

  @Benchmark
  public byte[] jdkAesCtr() throws GeneralSecurityException {
    ctr.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(new byte[16]));
    ctr.doFinal(zeros, 0, zeros.length, out, 0);
    return out;
  }
}
