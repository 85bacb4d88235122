package org.fedtel.crypto.secagg;

/**
 * A Shamir share (33 bytes, big-endian field element) of {@code ownerSite}'s secret of the given
 * kind. Wire: {@code fedtel.v1.RevealedShare}.
 */
public record RevealedShare(String ownerSite, ShareKind kind, byte[] share) {
  public RevealedShare {
    ownerSite = Bytes.id(ownerSite, "ownerSite");
    if (kind == null) {
      throw new IllegalArgumentException("kind is null");
    }
    share = Bytes.copy(share, "share");
  }

  @Override public byte[] share() { return share.clone(); }
}
