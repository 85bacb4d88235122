package org.fedtel.crypto.secagg;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for share transport. The key is HKDF of the X25519 secret of the two cipher keys with
 * the direction (from, to) and the round in the info; the associated data binds round, sender and
 * recipient, so a share replayed into another round or rerouted to another site fails to open.
 */
final class ShareCipher {
  static final int NONCE_LENGTH = 12;
  static final int TAG_LENGTH = 16;

  private ShareCipher() {}

  static byte[] seal(byte[] sharedSecret, long round, String from, String to, byte[] plaintext,
      SecureRandom random) {
    byte[] nonce = new byte[NONCE_LENGTH];
    random.nextBytes(nonce);
    try {
      Cipher gcm = init(Cipher.ENCRYPT_MODE, sharedSecret, round, from, to, nonce);
      byte[] out = new byte[NONCE_LENGTH + plaintext.length + TAG_LENGTH];
      System.arraycopy(nonce, 0, out, 0, NONCE_LENGTH);
      gcm.doFinal(plaintext, 0, plaintext.length, out, NONCE_LENGTH);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM unavailable", e);
    }
  }

  static byte[] open(byte[] sharedSecret, long round, String from, String to, byte[] sealed,
      int plaintextLength) throws SecAggException {
    if (sealed.length != NONCE_LENGTH + plaintextLength + TAG_LENGTH) {
      throw new SecAggException(SecAggException.Reason.MALFORMED, "share from '" + from + "' to '"
          + to + "': ciphertext must be " + (NONCE_LENGTH + plaintextLength + TAG_LENGTH)
          + " bytes, got " + sealed.length);
    }
    byte[] nonce = java.util.Arrays.copyOf(sealed, NONCE_LENGTH);
    try {
      Cipher gcm = init(Cipher.DECRYPT_MODE, sharedSecret, round, from, to, nonce);
      return gcm.doFinal(sealed, NONCE_LENGTH, sealed.length - NONCE_LENGTH);
    } catch (AEADBadTagException e) {
      throw new SecAggException(SecAggException.Reason.TAMPERED,
          "share from '" + from + "' to '" + to + "' fails AES-GCM authentication");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM unavailable", e);
    }
  }

  private static Cipher init(int mode, byte[] sharedSecret, long round, String from, String to,
      byte[] nonce) throws GeneralSecurityException {
    byte[] key = Kdf.derive(sharedSecret, "share-transport", round, from, to, 32);
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_LENGTH * 8, nonce));
    gcm.updateAAD(Kdf.context("share-aad", round, from, to));
    java.util.Arrays.fill(key, (byte) 0);
    return gcm;
  }
}
