package org.fedtel.crypto.secagg;

import java.util.List;

/** Server to every site after round 0: all advertised keys (the set U1). Wire: {@code fedtel.v1.KeyList}. */
public record KeyList(long round, List<SiteKeys> sites) {
  public KeyList {
    sites = Bytes.copy(sites, "sites");
  }
}
