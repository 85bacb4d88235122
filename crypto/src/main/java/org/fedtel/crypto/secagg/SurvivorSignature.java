package org.fedtel.crypto.secagg;

/**
 * One site's consistency signature over U3, as the server relays it in an {@link UnmaskRequest}.
 * Wire: {@code fedtel.v1.SurvivorSignature}.
 */
public record SurvivorSignature(String siteId, byte[] signature) {
  public SurvivorSignature {
    siteId = Bytes.id(siteId, "siteId");
    signature = Bytes.copy(signature, "signature");
  }

  @Override public byte[] signature() {
    return signature.clone();
  }
}
