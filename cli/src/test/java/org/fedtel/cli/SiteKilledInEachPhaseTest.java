package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.fedtel.cli.InMemoryFederationTest.LeastSquares;
import org.fedtel.coordinator.CoordinatorServer;
import org.fedtel.coordinator.Federation;
import org.fedtel.coordinator.LedgerLog;
import org.fedtel.coordinator.RoundSettings;
import org.fedtel.coordinator.RoundSummary;
import org.fedtel.coordinator.SecureAggregation;
import org.fedtel.coordinator.StateStore;
import org.fedtel.coordinator.TlsContexts;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.crypto.ConsortiumCa;
import org.fedtel.crypto.SiteCredentials;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.LedgerAudit;
import org.fedtel.ledger.NoteVerifier;
import org.fedtel.ledger.Witness;
import org.fedtel.ledger.v1.Genesis;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.AdvertiseKeys;
import org.fedtel.protocol.v1.ConsistencyCheck;
import org.fedtel.protocol.v1.ConsistencySignature;
import org.fedtel.protocol.v1.EncryptedShare;
import org.fedtel.protocol.v1.KeyList;
import org.fedtel.protocol.v1.MaskedInput;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.UnmaskRequest;
import org.fedtel.protocol.v1.UnmaskShares;
import org.fedtel.siteagent.DataUseAccount;
import org.fedtel.siteagent.SecAggClient;
import org.fedtel.siteagent.SiteClient;
import org.fedtel.siteagent.SiteSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over loopback mTLS with the real ledger: site-4's process "dies" (its connection drops, its reply
 * is lost) in a different secure-aggregation phase of each of rounds 1–5, and reconnects. Every round
 * ends as the protocol says, and the auditor verifies the ledger afterwards.
 */
class SiteKilledInEachPhaseTest {
  @TempDir Path dir;

  enum Phase { ADVERTISE, SHARE, MASK, CHECK, UNMASK }

  /** Drops the site's connection when the round's engine reaches {@code phase} in round {@code phase.ordinal() + 1}. */
  static SecAggClient.Factory dying(SecAggClient.Factory inner, AtomicReference<SiteClient> self) {
    return (round, siteId, params, privacy, length) -> {
      SecAggClient c = inner.create(round, siteId, params, privacy, length);
      return new SecAggClient() {
        private void maybeDie(Phase p) {
          if (round == p.ordinal() + 1) {
            self.get().dropConnection();
          }
        }

        @Override public AdvertiseKeys advertise() {
          maybeDie(Phase.ADVERTISE);
          return c.advertise();
        }

        @Override public List<EncryptedShare> shares(KeyList keys) throws RejectedMessageException {
          maybeDie(Phase.SHARE);
          return c.shares(keys);
        }

        @Override public void receiveShares(List<EncryptedShare> shares) throws RejectedMessageException {
          c.receiveShares(shares);
        }

        @Override public MaskedInput mask(double[] input) throws RejectedMessageException {
          maybeDie(Phase.MASK); // after training and charging: the data use and the input are lost
          return c.mask(input);
        }

        @Override public ConsistencySignature sign(ConsistencyCheck check) throws RejectedMessageException {
          maybeDie(Phase.CHECK); // its masked input is in; the others sign and unmask it
          return c.sign(check);
        }

        @Override public UnmaskShares unmask(UnmaskRequest request) throws RejectedMessageException {
          maybeDie(Phase.UNMASK); // its masked input is in; the others' shares must carry the round
          return c.unmask(request);
        }
      };
    };
  }

  @Test
  void aSiteKilledInEachPhaseLeavesEveryRoundAsTheProtocolSaysAndAVerifiableLedger() throws Exception {
    Clock clock = Clock.systemUTC();
    SecureRandom random = new SecureRandom();
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("ca"), "test", clock, random);
    SiteCredentials coordinator = SiteCredentials.load(ca.issueCoordinator(List.of("127.0.0.1")), clock);
    Map<String, SiteCredentials> creds = new HashMap<>();
    Map<String, VerifyingKey> siteKeys = new HashMap<>();
    Map<String, byte[]> certHashes = new HashMap<>();
    for (int i = 1; i <= 4; i++) {
      SiteCredentials c = SiteCredentials.load(ca.issueSite("site-" + i), clock);
      creds.put(c.siteId(), c);
      siteKeys.put(c.siteId(), c.signingKey().verifyingKey());
      certHashes.put(c.siteId(), MessageDigest.getInstance("SHA-256").digest(c.certificateDer()));
    }
    Genesis genesis = Genesis.newBuilder().setConsortiumId("test").setOrigin("test/ledger")
        .setCoordinatorKey(ByteString.copyFrom(coordinator.signingKey().verifyingKey().toBytes()))
        .setCaCertificateSha256(ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(ca.certificate().getEncoded())))
        .build();
    RoundSettings settings = new RoundSettings(6, 4, 3, Duration.ofSeconds(20), PrivacyMode.PRIVACY_MODE_DISTRIBUTED,
        1.0, 1.0, 1e-5, 2, 16, 0.1, 32, 0);
    List<SiteClient> clients = new ArrayList<>();
    List<RoundSummary> history;
    try (Ledger ledger = Ledger.open(dir.resolve("ledger"), genesis, coordinator.signingKey(), clock)) {
      Federation federation = new Federation(settings, Strategies.fedAvg(), new double[3],
          SecureAggregation.server(PeerKeys.certifiedOrKnown(coordinator.trust().peerKeys(), Map.of())),
          new LedgerLog(ledger, siteKeys, certHashes, PrivacyMode.PRIVACY_MODE_DISTRIBUTED),
          new StateStore(dir.resolve("state")), clock, random);
      try (CoordinatorServer server = new CoordinatorServer(federation,
          TlsContexts.server(coordinator.tlsPrivateKey(), coordinator.certificateChain(), ca.certificate()),
          Wire.DEFAULT_MAX_FRAME_BYTES).relayCertificates()) {
        int port = server.start(new InetSocketAddress("127.0.0.1", 0), 20);
        NoteVerifier logKey = NoteVerifier.of(genesis.getOrigin(), coordinator.signingKey().verifyingKey());
        for (int i = 1; i <= 4; i++) {
          SiteCredentials c = creds.get("site-" + i);
          PrivacyBudget budget = new PrivacyBudget(100, 1e-5);
          Witness witness = new Witness(c.siteId(), c.signingKey(), logKey);
          LeastSquares data = new LeastSquares(100 + i, new double[] {1, -2, 0.5}, 0.3 * i, 60);
          DataUseAccount account = new DataUseAccount();
          AtomicReference<SiteClient> self = new AtomicReference<>();
          SecAggClient.Factory secagg = org.fedtel.siteagent.SecureAggregation.client(c.signingKey(),
              PeerKeys.certifiedOrKnown(c.trust().peerKeys(), Map.of()), random);
          SecAggClient.Factory used = i == 4 ? dying(secagg, self) : secagg;
          SiteClient client = new SiteClient(() -> new SiteSession(c.siteId(), budget, data, used, c.signingKey(), witness)
              .account(account), SiteClient.tls(c.tlsPrivateKey(), c.certificateChain(), ca.certificate()),
              new InetSocketAddress("127.0.0.1", port), 50, 500);
          self.set(client);
          clients.add(client);
          client.start();
        }
        NetworkFederationTest.await(() -> {
          CompletableFuture<Boolean> done = new CompletableFuture<>();
          server.onEngine(() -> done.complete(federation.finished()));
          return done.join();
        }, "the six rounds");
        CompletableFuture<List<RoundSummary>> h = new CompletableFuture<>();
        server.onEngine(() -> h.complete(federation.history()));
        history = h.join();
      } finally {
        for (SiteClient c : clients) {
          c.close();
        }
      }
    }
    List<RoundSummary> committed = history.stream().filter(RoundSummary::committed).toList();
    assertEquals(6, committed.size(), history.toString());
    for (RoundSummary r : committed) {
      boolean killedBeforeItsInputWasIn = r.round() <= 3;
      assertEquals(!killedBeforeItsInputWasIn, r.survivors().contains("site-4"), "round " + r.round() + ": " + r);
      assertEquals(killedBeforeItsInputWasIn ? 3 : 4, r.survivors().size(), "round " + r.round() + ": " + r);
      if (killedBeforeItsInputWasIn) {
        assertTrue(r.failures().stream().anyMatch(f -> f.siteId().equals("site-4")), r.toString());
      }
    }
    // The auditor: chain, checkpoints, signatures and every site's recomputed ε. Site-4's data uses
    // are those of rounds 4 and 5 (killed after its input was in) and 6; its round-3 charge never reached
    // the ledger (it trained, charged and died masking) and is left out of what it signs.
    AuditReport report = LedgerAudit.verify(dir.resolve("ledger"));
    Map<String, Integer> uses = new HashMap<>();
    for (AuditReport.SiteBudget b : report.sites()) {
      uses.put(b.siteId(), (int) b.dataUses());
    }
    assertEquals(Map.of("site-1", 6, "site-2", 6, "site-3", 6, "site-4", 3), uses);
    assertFalse(report.checkpoints() == 0);
  }
}
