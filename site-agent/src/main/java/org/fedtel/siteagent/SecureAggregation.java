package org.fedtel.siteagent;

import com.google.protobuf.ByteString;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.crypto.secagg.SecAggException;
import org.fedtel.privacy.training.DistributedDp;
import org.fedtel.protocol.RejectedMessageException.Reason;
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
 * The site's secure aggregation: the crypto module's SecAgg/SecAgg+ client engine behind
 * {@link SecAggClient}, with the ring encoding of the privacy mode (distributed: the distributed
 * discrete Gaussian of Kairouz, Liu and Steinke 2021 from the privacy module, which clips, rotates,
 * rounds and adds this site's noise share; none and local: fixed point with the round's scale).
 * Must match {@code org.fedtel.coordinator.SecureAggregation}, which decodes the sum.
 */
public final class SecureAggregation {
  private SecureAggregation() {}

  /**
   * @param signingKey the site's certified Ed25519 key, which signs its advertised keys
   * @param peerKeys where the other sites' signing keys are learnt
   */
  public static SecAggClient.Factory client(SigningKey signingKey, PeerKeys peerKeys, SecureRandom random) {
    return (round, siteId, params, privacy, modelLength) -> new CryptoClient(round, siteId, params, privacy, modelLength,
        signingKey, peerKeys, random);
  }

  static DistributedDp distributedDp(PrivacyParams p, int modelLength, int bits) {
    return DistributedDp.configure(p.getSampledSites(), p.getMinSurvivors(), modelLength, p.getClipNorm(),
        p.getNoiseMultiplier(), bits, p.getRotationSeed());
  }

  private static final class CryptoClient implements SecAggClient {
    private final long round;
    private final org.fedtel.crypto.secagg.SecAggClient engine;
    private final PrivacyParams privacy;
    private final int modelLength;
    private final int bits;
    private final int length;
    private final SecureRandom random;
    private final DistributedDp dp;
    private org.fedtel.crypto.secagg.EncryptedShares received;

    CryptoClient(long round, String siteId, SecAggParams params, PrivacyParams privacy, int modelLength, SigningKey key,
                 PeerKeys peerKeys, SecureRandom random) {
      this.round = round;
      this.privacy = privacy;
      this.modelLength = modelLength;
      this.bits = params.getModulusBits();
      this.random = random;
      if (privacy.getMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED) {
        if (privacy.getSampledSites() < params.getParticipantsCount()) {
          throw new IllegalArgumentException("sampled_sites " + privacy.getSampledSites() + " is below the "
              + params.getParticipantsCount() + " participants: the aggregate could overflow the ring");
        }
        dp = distributedDp(privacy, modelLength, bits);
        length = dp.encodedLength();
      } else {
        if (!(privacy.getQuantizationScale() >= 1) || Double.isInfinite(privacy.getQuantizationScale())) {
          throw new IllegalArgumentException("quantization scale " + privacy.getQuantizationScale() + " is not usable");
        }
        dp = null;
        length = modelLength;
      }
      if (params.getVectorLength() != length) {
        throw new IllegalArgumentException("secure aggregation is for " + params.getVectorLength()
            + " values but this model's encoding has " + length);
      }
      this.engine = new org.fedtel.crypto.secagg.SecAggClient(new org.fedtel.crypto.secagg.SecAggParams(round,
          params.getParticipantsList(), params.getThreshold(), bits, params.getNeighbours(),
          params.getGraphSeed().toByteArray(), length), siteId, key, peerKeys, random);
    }

    @Override public AdvertiseKeys advertise() {
      org.fedtel.crypto.secagg.AdvertiseKeys a = engine.advertiseKeys();
      return AdvertiseKeys.newBuilder().setCipherPublicKey(ByteString.copyFrom(a.cipherPublicKey()))
          .setMaskPublicKey(ByteString.copyFrom(a.maskPublicKey())).setSignature(ByteString.copyFrom(a.signature())).build();
    }

    @Override public List<EncryptedShare> shares(KeyList keys) throws RejectedMessageException {
      List<org.fedtel.crypto.secagg.SiteKeys> list = new ArrayList<>();
      try {
        for (SiteKeys k : keys.getSitesList()) {
          list.add(new org.fedtel.crypto.secagg.SiteKeys(k.getSiteId(), k.getCipherPublicKey().toByteArray(),
              k.getMaskPublicKey().toByteArray(), k.getSignature().toByteArray(), k.getCertificate().toByteArray()));
        }
        List<EncryptedShare> out = new ArrayList<>();
        for (org.fedtel.crypto.secagg.EncryptedShare s : engine.shareKeys(new org.fedtel.crypto.secagg.KeyList(round, list)).shares()) {
          out.add(EncryptedShare.newBuilder().setFromSite(s.fromSite()).setToSite(s.toSite())
              .setCiphertext(ByteString.copyFrom(s.ciphertext())).build());
        }
        return out;
      } catch (SecAggException | IllegalArgumentException e) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "key list: " + e.getMessage());
      }
    }

    @Override public void receiveShares(List<EncryptedShare> shares) throws RejectedMessageException {
      List<org.fedtel.crypto.secagg.EncryptedShare> list = new ArrayList<>();
      try {
        for (EncryptedShare s : shares) {
          list.add(new org.fedtel.crypto.secagg.EncryptedShare(s.getFromSite(), s.getToSite(), s.getCiphertext().toByteArray()));
        }
        received = new org.fedtel.crypto.secagg.EncryptedShares(round, list);
      } catch (IllegalArgumentException e) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "shares: " + e.getMessage());
      }
    }

    @Override public MaskedInput mask(double[] input) throws RejectedMessageException {
      if (input.length != modelLength) {
        throw new IllegalArgumentException("input has " + input.length + " values, the model " + modelLength);
      }
      long[] ring = new long[length];
      if (dp != null) {
        dp.encode(input, random, ring);
      } else {
        try {
          org.fedtel.crypto.secagg.FixedPoint.encode(input, privacy.getQuantizationScale(), bits, ring);
        } catch (IllegalArgumentException e) {
          throw new IllegalStateException("update: " + e.getMessage(), e);
        }
      }
      try {
        MaskedInput.Builder b = MaskedInput.newBuilder();
        for (long v : engine.maskedInput(received, ring).values()) {
          b.addValues(v);
        }
        return b.build();
      } catch (SecAggException e) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "masking: " + e.getMessage());
      }
    }

    @Override public ConsistencySignature sign(ConsistencyCheck check) throws RejectedMessageException {
      try {
        org.fedtel.crypto.secagg.ConsistencySignature s = engine.consistencySignature(
            new org.fedtel.crypto.secagg.ConsistencyCheck(round, check.getSurvivorsList()));
        return ConsistencySignature.newBuilder().setSignature(ByteString.copyFrom(s.signature())).build();
      } catch (SecAggException | IllegalArgumentException e) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "consistency check: " + e.getMessage());
      }
    }

    @Override public UnmaskShares unmask(UnmaskRequest request) throws RejectedMessageException {
      try {
        List<org.fedtel.crypto.secagg.SurvivorSignature> signatures = new ArrayList<>();
        for (SurvivorSignature s : request.getSignaturesList()) {
          signatures.add(new org.fedtel.crypto.secagg.SurvivorSignature(s.getSiteId(), s.getSignature().toByteArray()));
        }
        UnmaskShares.Builder b = UnmaskShares.newBuilder();
        for (org.fedtel.crypto.secagg.RevealedShare s : engine.unmask(new org.fedtel.crypto.secagg.UnmaskRequest(round,
            request.getDroppedList(), request.getSurvivorsList(), signatures)).shares()) {
          b.addShares(RevealedShare.newBuilder().setOwnerSite(s.ownerSite())
              .setKind(s.kind() == org.fedtel.crypto.secagg.ShareKind.MASK_KEY ? ShareKind.SHARE_KIND_MASK_KEY : ShareKind.SHARE_KIND_SELF_MASK)
              .setShare(ByteString.copyFrom(s.share())));
        }
        return b.build();
      } catch (SecAggException | IllegalArgumentException e) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "unmask request: " + e.getMessage());
      }
    }
  }
}
