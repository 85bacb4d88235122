package org.fedtel.crypto.secagg;

import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc7748.X25519;

/** X25519 (RFC 7748) key pairs and agreement; an all-zero shared secret is rejected (§6.1). */
final class KeyAgreement {
  static final int KEY_LENGTH = X25519.POINT_SIZE;

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
