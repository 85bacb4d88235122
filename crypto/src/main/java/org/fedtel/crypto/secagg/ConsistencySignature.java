package org.fedtel.crypto.secagg;

/**
 * Round 3, a site to the server: its Ed25519 signature (with its certified key) over the round and
 * the survivor list U3 it was shown. Wire: {@code fedtel.v1.ConsistencySignature}.
 */
public record ConsistencySignature(long round, byte[] signature) {
  public ConsistencySignature {
    signature = Bytes.copy(signature, "signature");
  }

  @Override public byte[] signature() {
    return signature.clone();
  }
}
