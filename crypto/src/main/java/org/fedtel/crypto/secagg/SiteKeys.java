package org.fedtel.crypto.secagg;

/**
 * One site's advertised keys as the server relays them, with the certificate (DER) that certifies
 * the site's signing key; empty when keys are trusted out of band (simulations). Wire: {@code
 * fedtel.v1.SiteKeys}.
 */
public record SiteKeys(String siteId, byte[] cipherPublicKey, byte[] maskPublicKey,
    byte[] signature, byte[] certificate) {
  public SiteKeys {
    siteId = Bytes.id(siteId, "siteId");
    cipherPublicKey = Bytes.copy(cipherPublicKey, "cipherPublicKey");
    maskPublicKey = Bytes.copy(maskPublicKey, "maskPublicKey");
    signature = Bytes.copy(signature, "signature");
    certificate = Bytes.copy(certificate, "certificate");
  }

  @Override public byte[] cipherPublicKey() { return cipherPublicKey.clone(); }
  @Override public byte[] maskPublicKey() { return maskPublicKey.clone(); }
  @Override public byte[] signature() { return signature.clone(); }
  @Override public byte[] certificate() { return certificate.clone(); }
}
