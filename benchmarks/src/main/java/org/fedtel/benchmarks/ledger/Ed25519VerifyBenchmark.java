package org.fedtel.benchmarks.ledger;

import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.ledger.SyntheticLedger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One Ed25519 (RFC 8032) verification of a data-use-sized message (160 bytes) by the crypto
 * module's {@link VerifyingKey} (Bouncy Castle's {@code Ed25519.verify} with a precomputed public
 * point) beside the JDK's own {@code Signature.getInstance("Ed25519")} on the same key, message and
 * signature, in the same run: which verifier an audit of data-use entries should use.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class Ed25519VerifyBenchmark {
  /** DER prefix of an X.509 SubjectPublicKeyInfo for Ed25519 (RFC 8410 §4), followed by the raw key. */
  private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

  private VerifyingKey bouncyCastle;
  private PublicKey jdkKey;
  private Signature jdk;
  private byte[] message;
  private byte[] signature;

  @Setup
  public void setup() throws Exception {
    SigningKey key = SyntheticLedger.siteKey(1, 0);
    message = new byte[160];
    new SplittableRandom(1).nextBytes(message);
    signature = key.sign(message);
    bouncyCastle = key.verifyingKey();
    byte[] raw = bouncyCastle.toBytes();
    byte[] spki = new byte[X509_PREFIX.length + raw.length];
    System.arraycopy(X509_PREFIX, 0, spki, 0, X509_PREFIX.length);
    System.arraycopy(raw, 0, spki, X509_PREFIX.length, raw.length);
    jdkKey = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    jdk = Signature.getInstance("Ed25519");
    if (!jdkVerify()) {
      throw new IllegalStateException("the JDK does not verify the crypto module's signature");
    }
    bouncyCastle.verify(message, signature);
  }

  @Benchmark
  public VerifyingKey bouncyCastleVerifyingKey() throws Exception {
    bouncyCastle.verify(message, signature); // throws when it does not verify
    return bouncyCastle;
  }

  @Benchmark
  public boolean jdkSignature() throws Exception {
    return jdkVerify();
  }

  private boolean jdkVerify() throws Exception {
    jdk.initVerify(jdkKey);
    jdk.update(message);
    return jdk.verify(signature);
  }
}
