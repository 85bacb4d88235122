package org.fedtel.coordinator;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.crypto.secagg.SecAggException;
import org.fedtel.privacy.training.DistributedDp;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.v1.AdvertiseKeys;
import org.fedtel.protocol.v1.ConsistencyCheck;
import org.fedtel.protocol.v1.ConsistencySignature;
import org.fedtel.protocol.v1.EncryptedShare;
import org.fedtel.protocol.v1.KeyList;
import org.fedtel.protocol.v1.MaskedInput;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.RevealedShare;
import org.fedtel.protocol.v1.SecAggParams;
import org.fedtel.protocol.v1.ShareKind;
import org.fedtel.protocol.v1.SiteKeys;
import org.fedtel.protocol.v1.SurvivorSignature;
import org.fedtel.protocol.v1.UnmaskRequest;
import org.fedtel.protocol.v1.UnmaskShares;

/**
 * The coordinator's secure aggregation: the crypto module's SecAgg/SecAgg+ server engine behind
 * {@link SecAggServer}, with the ring encoding of the privacy mode —
 *
 * <ul>
 *   <li>distributed: the distributed discrete Gaussian of Kairouz, Liu and Steinke (ICML 2021) from
 *       the privacy module (rotation, conditional rounding, noise shares; the sum is decoded here);
 *   <li>none, local: fixed point, {@code round(x * scale)} in two's complement modulo 2^k.
 * </ul>
 */
public final class SecureAggregation {
  /** Fixed-point scale of modes none and local: 2^24 ring units per model unit. */
  public static final double FIXED_POINT_SCALE = 16_777_216.0;

  private SecureAggregation() {}

  /** A factory of per-round servers that learn the sites' signing keys from {@code peerKeys}. */
  public static SecAggServer.Factory server(PeerKeys peerKeys) {
    return (round, secagg, privacy, modelLength) -> new CryptoServer(round, secagg, privacy, modelLength, peerKeys);
  }

  /** Ring vector length of a round: padded to a power of two in distributed mode. */
  static int vectorLength(PrivacyParams p, int modelLength, int bits) {
    return p.getMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED ? distributedDp(p, modelLength, bits).encodedLength() : modelLength;
  }

  static DistributedDp distributedDp(PrivacyParams p, int modelLength, int bits) {
    return DistributedDp.configure(p.getSampledSites(), p.getMinSurvivors(), modelLength, p.getClipNorm(),
        p.getNoiseMultiplier(), bits, p.getRotationSeed());
  }

  private static final class CryptoServer implements SecAggServer {
    private final org.fedtel.crypto.secagg.SecAggServer engine;
    private final SecAggParams params;
    private final PrivacyParams privacy;
    private final int modelLength;
    private final long round;

    CryptoServer(long round, SecAggParams draft, PrivacyParams privacy, int modelLength, PeerKeys peerKeys) {
      this.round = round;
      this.privacy = privacy;
      this.modelLength = modelLength;
      int bits = draft.getModulusBits();
      int length = SecureAggregation.vectorLength(privacy, modelLength, bits);
      org.fedtel.crypto.secagg.SecAggParams p = draft.getNeighbours() == 0
          ? org.fedtel.crypto.secagg.SecAggParams.recommended(round, draft.getParticipantsList(), bits, length,
              draft.getGraphSeed().toByteArray())
          : new org.fedtel.crypto.secagg.SecAggParams(round, draft.getParticipantsList(), draft.getNeighbours() / 2 + 1, bits,
              draft.getNeighbours(), draft.getGraphSeed().toByteArray(), length);
      int minSurvivors = privacy.getMinSurvivors();
      if (privacy.getMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED && p.threshold() < minSurvivors && minSurvivors <= p.groupSize()) {
        // The noise is calibrated to min_survivors (Kairouz, Liu and Steinke 2021, section 4), and a
        // sum of as few as t sites can be unmasked (Bonawitz et al. 2017, section 4): t must not be
        // below it, and the sites refuse a round where it is. A higher t costs no dropout tolerance
        // the round has: it aborts below min_participants (= min_survivors) survivors anyway.
        p = new org.fedtel.crypto.secagg.SecAggParams(round, draft.getParticipantsList(), minSurvivors, bits, p.neighbours(),
            draft.getGraphSeed().toByteArray(), length);
      }
      this.params = draft.toBuilder().setThreshold(p.threshold()).setNeighbours(p.neighbours()).setVectorLength(length).build();
      this.engine = new org.fedtel.crypto.secagg.SecAggServer(p, peerKeys);
    }

    @Override public SecAggParams params() {
      return params;
    }

    @Override public void advertise(String siteId, byte[] certificate, AdvertiseKeys keys) throws RejectedMessageException {
      try {
        engine.receiveAdvertisement(siteId, certificate, new org.fedtel.crypto.secagg.AdvertiseKeys(round,
            keys.getCipherPublicKey().toByteArray(), keys.getMaskPublicKey().toByteArray(), keys.getSignature().toByteArray()));
      } catch (SecAggException | IllegalArgumentException e) {
        throw rejected(e);
      }
    }

    @Override public KeyList keyList() throws AggregationFailedException {
      try {
        KeyList.Builder b = KeyList.newBuilder();
        for (org.fedtel.crypto.secagg.SiteKeys k : engine.keyList().sites()) {
          b.addSites(SiteKeys.newBuilder().setSiteId(k.siteId())
              .setCipherPublicKey(ByteString.copyFrom(k.cipherPublicKey()))
              .setMaskPublicKey(ByteString.copyFrom(k.maskPublicKey()))
              .setSignature(ByteString.copyFrom(k.signature()))
              .setCertificate(ByteString.copyFrom(k.certificate())));
        }
        return b.build();
      } catch (SecAggException e) {
        throw new AggregationFailedException(e.getMessage());
      }
    }

    @Override public void shares(String siteId, List<EncryptedShare> shares) throws RejectedMessageException {
      List<org.fedtel.crypto.secagg.EncryptedShare> list = new ArrayList<>();
      try {
        for (EncryptedShare s : shares) {
          list.add(new org.fedtel.crypto.secagg.EncryptedShare(s.getFromSite(), s.getToSite(), s.getCiphertext().toByteArray()));
        }
        engine.receiveShares(siteId, new org.fedtel.crypto.secagg.EncryptedShares(round, list));
      } catch (SecAggException | IllegalArgumentException e) {
        throw rejected(e);
      }
    }

    @Override public Map<String, List<EncryptedShare>> routedShares() throws AggregationFailedException {
      try {
        Map<String, List<EncryptedShare>> out = new LinkedHashMap<>();
        for (Map.Entry<String, org.fedtel.crypto.secagg.EncryptedShares> e : engine.routedShares().entrySet()) {
          List<EncryptedShare> list = new ArrayList<>();
          for (org.fedtel.crypto.secagg.EncryptedShare s : e.getValue().shares()) {
            list.add(EncryptedShare.newBuilder().setFromSite(s.fromSite()).setToSite(s.toSite())
                .setCiphertext(ByteString.copyFrom(s.ciphertext())).build());
          }
          out.put(e.getKey(), list);
        }
        return out;
      } catch (SecAggException e) {
        throw new AggregationFailedException(e.getMessage());
      }
    }

    @Override public void masked(String siteId, MaskedInput input) throws RejectedMessageException {
      long[] values = new long[input.getValuesCount()];
      for (int i = 0; i < values.length; i++) {
        values[i] = input.getValues(i);
      }
      try {
        engine.receiveMaskedInput(siteId, new org.fedtel.crypto.secagg.MaskedInput(round, values));
      } catch (SecAggException | IllegalArgumentException e) {
        throw rejected(e);
      }
    }

    @Override public ConsistencyCheck consistencyCheck() throws AggregationFailedException {
      try {
        return ConsistencyCheck.newBuilder().addAllSurvivors(engine.consistencyCheck().survivors()).build();
      } catch (SecAggException e) {
        throw new AggregationFailedException(e.getMessage());
      }
    }

    @Override public void signature(String siteId, ConsistencySignature signature) throws RejectedMessageException {
      try {
        engine.receiveConsistencySignature(siteId, new org.fedtel.crypto.secagg.ConsistencySignature(round,
            signature.getSignature().toByteArray()));
      } catch (SecAggException | IllegalArgumentException e) {
        throw rejected(e);
      }
    }

    @Override public UnmaskRequest unmaskRequest() throws AggregationFailedException {
      try {
        org.fedtel.crypto.secagg.UnmaskRequest r = engine.unmaskRequest();
        UnmaskRequest.Builder b = UnmaskRequest.newBuilder().addAllDropped(r.dropped()).addAllSurvivors(r.survivors());
        for (org.fedtel.crypto.secagg.SurvivorSignature s : r.signatures()) {
          b.addSignatures(SurvivorSignature.newBuilder().setSiteId(s.siteId()).setSignature(ByteString.copyFrom(s.signature())));
        }
        return b.build();
      } catch (SecAggException e) {
        throw new AggregationFailedException(e.getMessage());
      }
    }

    @Override public void unmask(String siteId, UnmaskShares shares) throws RejectedMessageException {
      List<org.fedtel.crypto.secagg.RevealedShare> list = new ArrayList<>();
      try {
        for (RevealedShare s : shares.getSharesList()) {
          org.fedtel.crypto.secagg.ShareKind kind = switch (s.getKind()) {
            case SHARE_KIND_MASK_KEY -> org.fedtel.crypto.secagg.ShareKind.MASK_KEY;
            case SHARE_KIND_SELF_MASK -> org.fedtel.crypto.secagg.ShareKind.SELF_MASK;
            default -> throw new RejectedMessageException(RejectedMessageException.Reason.BAD_CONTENT,
                "'" + siteId + "' revealed a share of unknown kind " + s.getKind());
          };
          list.add(new org.fedtel.crypto.secagg.RevealedShare(s.getOwnerSite(), kind, s.getShare().toByteArray()));
        }
        engine.receiveUnmaskShares(siteId, new org.fedtel.crypto.secagg.UnmaskShares(round, list));
      } catch (SecAggException | IllegalArgumentException e) {
        throw rejected(e);
      }
    }

    @Override public double[] sum() throws AggregationFailedException {
      long[] ring;
      try {
        ring = engine.aggregate().sum();
      } catch (SecAggException e) {
        throw new AggregationFailedException(e.getMessage());
      }
      double[] out = new double[modelLength];
      if (privacy.getMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED) {
        distributedDp(privacy, modelLength, params.getModulusBits()).decodeSum(ring, out);
      } else {
        org.fedtel.crypto.secagg.FixedPoint.decode(ring, privacy.getQuantizationScale(), params.getModulusBits(), out);
      }
      return out;
    }

    private static RejectedMessageException rejected(Exception e) {
      return new RejectedMessageException(RejectedMessageException.Reason.BAD_CONTENT, "secure aggregation: " + e.getMessage());
    }
  }
}
