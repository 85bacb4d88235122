package org.fedtel.coordinator;

import java.util.List;
import java.util.Map;
import org.fedtel.protocol.v1.AdvertiseKeys;
import org.fedtel.protocol.v1.EncryptedShare;
import org.fedtel.protocol.v1.KeyList;
import org.fedtel.protocol.v1.MaskedInput;
import org.fedtel.protocol.v1.SecAggParams;
import org.fedtel.protocol.v1.UnmaskShares;

/**
 * The server side of one round of secure aggregation (Bonawitz et al., CCS 2017), as the round
 * engine drives it. One object per round; phases are called in order, each at most once per site.
 * Implementations adapt the transport-free engines of {@code org.fedtel.crypto}; they see wire
 * messages and return the exact sum of the survivors' inputs, already dequantized.
 */
public interface SecAggServer {
  /** Creates the server for one round. */
  interface Factory {
    SecAggServer create(long round, SecAggParams params);
  }

  /** Phase 0: a site's public keys. @throws RejectedMessageException if malformed or badly signed */
  void advertise(String siteId, AdvertiseKeys keys) throws RejectedMessageException;

  /** End of phase 0: the keys of every site that advertised, sent to all of them. */
  KeyList keyList();

  /** Phase 1: a site's encrypted shares, one per neighbour. */
  void shares(String siteId, List<EncryptedShare> shares) throws RejectedMessageException;

  /** End of phase 1: the shares addressed to each site, by recipient. */
  Map<String, List<EncryptedShare>> routedShares();

  /** Phase 2: a site's masked input. */
  void masked(String siteId, MaskedInput input) throws RejectedMessageException;

  /** Phase 3: a survivor's revealed shares. */
  void unmask(String siteId, UnmaskShares shares) throws RejectedMessageException;

  /**
   * The unmasked sum of the survivors' inputs, dequantized.
   *
   * @throws AggregationFailedException if too few shares were revealed to remove the masks
   */
  double[] sum(List<String> survivors, List<String> dropped) throws AggregationFailedException;
}
