package org.fedtel.coordinator;

import java.util.List;
import java.util.Map;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.v1.AdvertiseKeys;
import org.fedtel.protocol.v1.ConsistencyCheck;
import org.fedtel.protocol.v1.ConsistencySignature;
import org.fedtel.protocol.v1.EncryptedShare;
import org.fedtel.protocol.v1.KeyList;
import org.fedtel.protocol.v1.MaskedInput;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.SecAggParams;
import org.fedtel.protocol.v1.UnmaskRequest;
import org.fedtel.protocol.v1.UnmaskShares;

/**
 * The server side of one round of secure aggregation as the round engine drives it: wire messages
 * in, the dequantized sum out. One object per round; each phase is closed by the call that
 * produces the next broadcast. The production implementation is {@link SecureAggregation#server}
 * over the crypto module's engine (Bonawitz et al., CCS 2017; Bell et al., CCS 2020).
 */
public interface SecAggServer {
  /** Creates the server for one round. */
  interface Factory {
    /**
     * @param secagg the round's parameters, with {@code vector_length} left 0: the factory's
     *     encoding decides it ({@link #vectorLength()})
     */
    SecAggServer create(long round, SecAggParams secagg, PrivacyParams privacy, int modelLength);
  }

  /** The round's parameters as sent to the sites (participants, threshold, graph, vector length). */
  SecAggParams params();

  /** Length of the ring vectors the sites send (the model length, or padded in distributed DP). */
  default int vectorLength() {
    return params().getVectorLength();
  }

  /** @param certificate the site's DER certificate, relayed in the KeyList (empty if keys are known out of band) */
  void advertise(String siteId, byte[] certificate, AdvertiseKeys keys) throws RejectedMessageException;

  KeyList keyList() throws AggregationFailedException;

  void shares(String siteId, List<EncryptedShare> shares) throws RejectedMessageException;

  Map<String, List<EncryptedShare>> routedShares() throws AggregationFailedException;

  void masked(String siteId, MaskedInput input) throws RejectedMessageException;

  /** Closes the masking phase: the survivor list U3, which each survivor signs. */
  ConsistencyCheck consistencyCheck() throws AggregationFailedException;

  void signature(String siteId, ConsistencySignature signature) throws RejectedMessageException;

  /** Closes the consistency phase: the unmask request, with the survivors' signatures, for the sites that signed. */
  UnmaskRequest unmaskRequest() throws AggregationFailedException;

  void unmask(String siteId, UnmaskShares shares) throws RejectedMessageException;

  /** The unmasked sum of the survivors' inputs, dequantized to model units (length = model). */
  double[] sum() throws AggregationFailedException;
}
