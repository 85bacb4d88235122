package org.fedtel.crypto;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An Ed25519 signing key (RFC 8032 §5.1, pure Ed25519 without context). The 32-byte private key
 * stays inside this object: it signs, it does not hand out its key.
 */
public final class SigningKey {
  /** Length of an RFC 8032 Ed25519 private key (the seed). */
  public static final int SEED_LENGTH = Ed25519.SECRET_KEY_SIZE;
  /** Length of an Ed25519 signature. */
  public static final int SIGNATURE_LENGTH = Ed25519.SIGNATURE_SIZE;

  private final Ed25519PrivateKeyParameters key;
  private final VerifyingKey verifyingKey;

  private SigningKey(Ed25519PrivateKeyParameters key) {
    this.key = key;
    this.verifyingKey = VerifyingKey.ofTrusted(key.generatePublicKey().getEncoded());
  }

  /** A fresh key from {@code random}. */
  public static SigningKey generate(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    byte[] seed = new byte[SEED_LENGTH];
    random.nextBytes(seed);
    try {
      return fromSeed(seed);
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  /** The key whose RFC 8032 32-byte private key is {@code seed32}; the array is copied. */
  public static SigningKey fromSeed(byte[] seed32) {
    Objects.requireNonNull(seed32, "seed32");
    if (seed32.length != SEED_LENGTH) {
      throw new IllegalArgumentException(
          "Ed25519 private key must be " + SEED_LENGTH + " bytes, got " + seed32.length);
    }
    return new SigningKey(new Ed25519PrivateKeyParameters(seed32, 0));
  }

  public VerifyingKey verifyingKey() {
    return verifyingKey;
  }

  /** The 64-byte deterministic Ed25519 signature of {@code message}. */
  public byte[] sign(byte[] message) {
    Objects.requireNonNull(message, "message");
    byte[] signature = new byte[SIGNATURE_LENGTH];
    key.sign(Ed25519.Algorithm.Ed25519, null, message, 0, message.length, signature, 0);
    return signature;
  }

  /**
   * Package-private: the seed, for PKCS#8 persistence inside this package only. The caller must
   * wipe the returned copy.
   */
  byte[] seedCopy() {
    return key.getEncoded();
  }

  @Override
  public String toString() {
    return "SigningKey[public=" + verifyingKey.toHex() + "]";
  }
}
