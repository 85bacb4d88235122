package org.fedtel.crypto.secagg;

/**
 * Round 0 (AdvertiseKeys), client to server: X25519 public keys for share transport (c_pk) and
 * mask agreement (s_pk), signed by the site's certified Ed25519 key. Wire: {@code
 * fedtel.v1.AdvertiseKeys}; {@code round} is the envelope's round.
 */
public record AdvertiseKeys(long round, byte[] cipherPublicKey, byte[] maskPublicKey,
    byte[] signature) {
  public AdvertiseKeys {
    cipherPublicKey = Bytes.copy(cipherPublicKey, "cipherPublicKey");
    maskPublicKey = Bytes.copy(maskPublicKey, "maskPublicKey");
    signature = Bytes.copy(signature, "signature");
  }

  @Override public byte[] cipherPublicKey() { return cipherPublicKey.clone(); }
  @Override public byte[] maskPublicKey() { return maskPublicKey.clone(); }
  @Override public byte[] signature() { return signature.clone(); }
}
