package org.fedtel.cli;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import org.fedtel.coordinator.SecAggServer;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.siteagent.SecAggClient;
import org.fedtel.siteagent.SecureAggregation;

/** Deterministic Ed25519 keys for test sites, and the real secure-aggregation engines over them. */
final class TestConsortium {
  private final Map<String, SigningKey> keys = new HashMap<>();
  private final PeerKeys peerKeys;

  TestConsortium(int sites) {
    Map<String, VerifyingKey> verifying = new HashMap<>();
    for (int i = 0; i < sites; i++) {
      byte[] seed = new byte[SigningKey.SEED_LENGTH];
      seed[0] = (byte) i;
      seed[1] = 42;
      SigningKey k = SigningKey.fromSeed(seed);
      keys.put("site-" + i, k);
      verifying.put("site-" + i, k.verifyingKey());
    }
    peerKeys = PeerKeys.of(verifying);
  }

  static SecureRandom random(long seed) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(seed);
      return r;
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** The coordinator's key, which signs checkpoints and countersigns data uses. */
  final SigningKey coordinatorKey = SigningKey.fromSeed(new byte[SigningKey.SEED_LENGTH]);
  static final String ORIGIN = "fedtel.test/ledger";

  /** A genesis entry naming this consortium's coordinator key (no CA: the test keys are not certified). */
  org.fedtel.ledger.v1.Genesis genesis(String consortiumId) {
    return org.fedtel.ledger.v1.Genesis.newBuilder().setConsortiumId(consortiumId).setOrigin(ORIGIN)
        .setCoordinatorKey(com.google.protobuf.ByteString.copyFrom(coordinatorKey.verifyingKey().toBytes()))
        .setCaCertificateSha256(com.google.protobuf.ByteString.copyFrom(new byte[32])).build();
  }

  SigningKey signingKey(String siteId) {
    return keys.get(siteId);
  }

  Map<String, VerifyingKey> verifyingKeys() {
    Map<String, VerifyingKey> out = new HashMap<>();
    keys.forEach((id, k) -> out.put(id, k.verifyingKey()));
    return out;
  }

  org.fedtel.ledger.Witness witness(String siteId) {
    return new org.fedtel.ledger.Witness(siteId, keys.get(siteId),
        org.fedtel.ledger.NoteVerifier.of(ORIGIN, coordinatorKey.verifyingKey()));
  }

  /**
   * A site session with this consortium's keys. It takes part in rounds in privacy mode none too
   * (opted in): the network tests run such rounds with sites that also declare a budget.
   */
  org.fedtel.siteagent.SiteSession session(String siteId, org.fedtel.privacy.accounting.PrivacyBudget budget,
                                           org.fedtel.siteagent.LocalTrainer trainer, org.fedtel.ledger.Witness witness) {
    return new org.fedtel.siteagent.SiteSession(siteId, budget, trainer, client(siteId), keys.get(siteId), witness)
        .acceptUnprotectedRounds(true);
  }

  SecAggServer.Factory server() {
    return org.fedtel.coordinator.SecureAggregation.server(peerKeys);
  }

  SecAggClient.Factory client(String siteId) {
    return SecureAggregation.client(keys.get(siteId), peerKeys, random(siteId.hashCode()));
  }
}
