package org.fedtel.crypto.secagg;

import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc7748.X25519;

/** X25519 (RFC 7748) key pairs and agreement; an all-zero shared secret is rejected (§6.1). */
final class KeyAgreement {
  static final int KEY_LENGTH = X25519.POINT_SIZE;
  /** Any fixed scalar serves to test a public key's order; X25519 clamps it to a multiple of 8. */
  private static final byte[] PROBE_SCALAR = new byte[X25519.SCALAR_SIZE];

  private KeyAgreement() {}

  static byte[] generatePrivate(SecureRandom random) {
    byte[] k = new byte[X25519.SCALAR_SIZE];
    X25519.generatePrivateKey(random, k);
    return k;
  }

  static byte[] publicKey(byte[] privateKey) {
    byte[] pub = new byte[X25519.POINT_SIZE];
    X25519.generatePublicKey(privateKey, 0, pub, 0);
    return pub;
  }

  /**
   * Refuses a public key of small order (e.g. all zeros): agreement with it gives the all-zero
   * secret for every private key, so each peer's agreement with the site would fail. Any clamped
   * scalar is a multiple of the cofactor 8, so one agreement with a fixed scalar detects every
   * such point (RFC 7748 §6.1).
   */
  static void requireNotLowOrder(byte[] publicKey, String site, String which) throws SecAggException {
    byte[] shared = new byte[X25519.POINT_SIZE];
    if (!X25519.calculateAgreement(PROBE_SCALAR, 0, publicKey, 0, shared, 0)) {
      throw new SecAggException(SecAggException.Reason.MALFORMED, "site '" + site + "': " + which
          + " is a low-order X25519 point, which gives an all-zero shared secret");
    }
  }

  static byte[] agree(byte[] privateKey, byte[] peerPublic, String peer) throws SecAggException {
    if (peerPublic.length != KEY_LENGTH) {
      throw new SecAggException(SecAggException.Reason.MALFORMED,
          "site '" + peer + "': X25519 public key must be 32 bytes, got " + peerPublic.length);
    }
    byte[] shared = new byte[X25519.POINT_SIZE];
    if (!X25519.calculateAgreement(privateKey, 0, peerPublic, 0, shared, 0)) {
      throw new SecAggException(SecAggException.Reason.MALFORMED,
          "site '" + peer + "': X25519 public key gives an all-zero shared secret (low-order point)");
    }
    return shared;
  }
}
