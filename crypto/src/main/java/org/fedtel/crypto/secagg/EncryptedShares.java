package org.fedtel.crypto.secagg;

import java.util.List;

/**
 * Round 1 (ShareKeys): from a site to the server, its shares for each neighbour; from the server to
 * a site, the shares addressed to it. Wire: {@code fedtel.v1.EncryptedShares}.
 */
public record EncryptedShares(long round, List<EncryptedShare> shares) {
  public EncryptedShares {
    shares = Bytes.copy(shares, "shares");
  }
}
