package org.fedtel.crypto.secagg;

import java.util.List;

/**
 * Round 3 (ConsistencyCheck, Bonawitz et al. 2017, Fig. 4), server to each site of U3: the sites
 * whose masked input is in the sum (U3), in participant order. Each site signs the list once
 * ({@link SecAggClient#consistencySignature}) and later unmasks only for this same list, with at
 * least t signatures over it. Wire: {@code fedtel.v1.ConsistencyCheck}.
 */
public record ConsistencyCheck(long round, List<String> survivors) {
  public ConsistencyCheck {
    survivors = Bytes.copy(survivors, "survivors");
  }
}
