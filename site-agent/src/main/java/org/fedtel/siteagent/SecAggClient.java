package org.fedtel.siteagent;

import java.util.List;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.v1.ConsistencyCheck;
import org.fedtel.protocol.v1.ConsistencySignature;
import org.fedtel.protocol.v1.AdvertiseKeys;
import org.fedtel.protocol.v1.EncryptedShare;
import org.fedtel.protocol.v1.KeyList;
import org.fedtel.protocol.v1.MaskedInput;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.SecAggParams;
import org.fedtel.protocol.v1.UnmaskRequest;
import org.fedtel.protocol.v1.UnmaskShares;

/**
 * The client side of one round of secure aggregation (Bonawitz et al., CCS 2017), as the site
 * session drives it; one object per round, phases in order. Implementations adapt the engines of
 * {@code org.fedtel.crypto}: key generation, Shamir sharing, quantization, (in distributed DP mode)
 * the site's share of discrete Gaussian noise, and masking. Secret keys never leave the object.
 */
public interface SecAggClient {
  /** Creates the client for one round. */
  interface Factory {
    /** @throws IllegalArgumentException if the parameters are inconsistent (the site refuses the round) */
    SecAggClient create(long round, String siteId, SecAggParams params, PrivacyParams privacy, int modelLength);
  }

  AdvertiseKeys advertise();

  /** @throws RejectedMessageException if the key list is malformed or a signature does not verify */
  List<EncryptedShare> shares(KeyList keys) throws RejectedMessageException;

  /** Stores the shares other sites sent to this site. */
  void receiveShares(List<EncryptedShare> shares) throws RejectedMessageException;

  /**
   * Quantizes, noises (distributed mode) and masks {@code input}; only the {@code values} of the
   * result are set, the session adds weight and loss.
   */
  MaskedInput mask(double[] input) throws RejectedMessageException;

  /**
   * Signs the survivor list once per round.
   *
   * @throws RejectedMessageException if the list names strangers or sites this site holds no shares
   *     of, or too few survivors, or a list was already signed or refused in this round
   */
  ConsistencySignature sign(ConsistencyCheck check) throws RejectedMessageException;

  /**
   * @throws RejectedMessageException if the request asks for both shares of one site, names
   *     strangers, differs from the signed survivor list or lacks t valid signatures over it
   */
  UnmaskShares unmask(UnmaskRequest request) throws RejectedMessageException;
}
