package org.fedtel.crypto.secagg;

import java.util.Map;
import org.fedtel.crypto.VerifyingKey;

/**
 * Where the engines learn each site's certified Ed25519 key. In a deployment this checks the relayed
 * certificate against the consortium CA and that it names the site ({@code
 * ConsortiumTrust#peerKeys()}); in a closed simulation it is a fixed map.
 */
@FunctionalInterface
public interface PeerKeys {
  /**
   * The signing key of {@code siteId}, given the certificate (DER) relayed with its keys.
   *
   * @throws SecAggException (BAD_SIGNATURE) if the certificate is missing, invalid, names
   *     another site or is the coordinator's
   */
  VerifyingKey signingKey(String siteId, byte[] certificate) throws SecAggException;

  /**
   * Relayed certificates verified by {@code certified} (e.g. {@code ConsortiumTrust.peerKeys()}: the
   * certificate must chain to the consortium CA and name the site); a site relayed without a
   * certificate is looked up in {@code known} (keys trusted out of band), else refused.
   */
  static PeerKeys certifiedOrKnown(PeerKeys certified, Map<String, VerifyingKey> known) {
    PeerKeys outOfBand = of(known);
    return (siteId, certificate) -> certificate.length == 0 ? outOfBand.signingKey(siteId, certificate)
        : certified.signingKey(siteId, certificate);
  }

  /** Keys trusted out of band; relayed certificates must be empty. */
  static PeerKeys of(Map<String, VerifyingKey> keys) {
    Map<String, VerifyingKey> copy = Map.copyOf(keys);
    return (siteId, certificate) -> {
      VerifyingKey key = copy.get(siteId);
      if (key == null) {
        throw new SecAggException(SecAggException.Reason.UNKNOWN_SITE,
            "no signing key known for site '" + siteId + "'");
      }
      if (certificate.length != 0) {
        throw new SecAggException(SecAggException.Reason.BAD_SIGNATURE,
            "site '" + siteId + "': unexpected certificate where keys are trusted out of band");
      }
      return key;
    };
  }
}
