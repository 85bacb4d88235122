package org.fedtel.crypto.secagg;

/**
 * AES-256-GCM (nonce ‖ ciphertext ‖ tag) of the Shamir shares of s_sk and b that {@code fromSite}
 * gives {@code toSite}. Wire: {@code fedtel.v1.EncryptedShare}.
 */
public record EncryptedShare(String fromSite, String toSite, byte[] ciphertext) {
  public EncryptedShare {
    fromSite = Bytes.id(fromSite, "fromSite");
    toSite = Bytes.id(toSite, "toSite");
    ciphertext = Bytes.copy(ciphertext, "ciphertext");
  }

  @Override public byte[] ciphertext() { return ciphertext.clone(); }
}
