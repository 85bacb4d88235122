package org.fedtel.crypto.secagg;

import java.util.List;

/** A survivor's answer to the unmask request. Wire: {@code fedtel.v1.UnmaskShares}. */
public record UnmaskShares(long round, List<RevealedShare> shares) {
  public UnmaskShares {
    shares = Bytes.copy(shares, "shares");
  }
}
