package org.fedtel.crypto.secagg;

import java.util.List;

/**
 * Round 3 (Unmasking), server to each survivor: the sites whose masked input is missing (U2 \ U3)
 * and those whose input is in the sum (U3). Wire: {@code fedtel.v1.UnmaskRequest}.
 */
public record UnmaskRequest(long round, List<String> dropped, List<String> survivors) {
  public UnmaskRequest {
    dropped = Bytes.copy(dropped, "dropped");
    survivors = Bytes.copy(survivors, "survivors");
  }
}
