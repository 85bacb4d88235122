package org.fedtel.crypto.secagg;

import java.util.List;

/**
 * Round 4 (Unmasking), server to each site that signed U3: the sites whose masked input is missing
 * (U2 \ U3), those whose input is in the sum (U3), and the consistency signatures over U3 the server
 * collected (U4, Bonawitz et al. 2017, Fig. 4). Wire: {@code fedtel.v1.UnmaskRequest}.
 */
public record UnmaskRequest(long round, List<String> dropped, List<String> survivors,
    List<SurvivorSignature> signatures) {
  public UnmaskRequest {
    dropped = Bytes.copy(dropped, "dropped");
    survivors = Bytes.copy(survivors, "survivors");
    signatures = Bytes.copy(signatures, "signatures");
  }
}
