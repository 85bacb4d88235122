package org.fedtel.crypto;

import java.security.InvalidKeyException;
import java.security.SignatureException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * An Ed25519 public key (RFC 8032 §5.1), raw 32-byte encoding. Verification follows RFC 8032
 * §5.1.7 as implemented by Bouncy Castle: non-canonical S (S ≥ L) and undecodable points are
 * rejected.
 */
public final class VerifyingKey {
  /** Length of a raw Ed25519 public key. */
  public static final int LENGTH = Ed25519.PUBLIC_KEY_SIZE;

  private final byte[] raw;
  private final Ed25519.PublicPoint point;

  private VerifyingKey(byte[] raw, Ed25519.PublicPoint point) {
    this.raw = raw;
    this.point = point;
  }

  /** Parses a raw 32-byte public key; rejects wrong lengths and encodings that are not points. */
  public static VerifyingKey fromBytes(byte[] raw32) throws InvalidKeyException {
    if (raw32 == null) {
      throw new InvalidKeyException("Ed25519 public key is missing");
    }
    if (raw32.length != LENGTH) {
      throw new InvalidKeyException(
          "Ed25519 public key must be " + LENGTH + " bytes, got " + raw32.length);
    }
    byte[] copy = raw32.clone();
    Ed25519.PublicPoint point = Ed25519.validatePublicKeyFullExport(copy, 0);
    if (point == null) {
      throw new InvalidKeyException("Ed25519 public key is not a valid curve point");
    }
    return new VerifyingKey(copy, point);
  }

  static VerifyingKey ofTrusted(byte[] raw32) {
    try {
      return fromBytes(raw32);
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("own public key did not decode", e);
    }
  }

  /** The raw 32-byte encoding (a copy). */
  public byte[] toBytes() {
    return raw.clone();
  }

  /** Verifies {@code signature} over {@code message}; throws if it is not valid. */
  public void verify(byte[] message, byte[] signature) throws SignatureException {
    Objects.requireNonNull(message, "message");
    if (signature == null) {
      throw new SignatureException("Ed25519 signature is missing");
    }
    if (signature.length != SigningKey.SIGNATURE_LENGTH) {
      throw new SignatureException(
          "Ed25519 signature must be " + SigningKey.SIGNATURE_LENGTH + " bytes, got "
              + signature.length);
    }
    if (!Ed25519.verify(signature, 0, point, message, 0, message.length)) {
      throw new SignatureException("Ed25519 signature does not verify under key " + toHex());
    }
  }

  String toHex() {
    return HexFormat.of().formatHex(raw);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VerifyingKey other && Arrays.equals(raw, other.raw);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(raw);
  }

  @Override
  public String toString() {
    return "VerifyingKey[" + toHex() + "]";
  }
}
