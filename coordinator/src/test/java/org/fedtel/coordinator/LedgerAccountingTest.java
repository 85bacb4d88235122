package org.fedtel.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.DataUseSignatures;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.LedgerAudit;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.Genesis;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.AdvertiseKeys;
import org.fedtel.protocol.v1.ConsistencyCheck;
import org.fedtel.protocol.v1.ConsistencySignature;
import org.fedtel.protocol.v1.DataUseRecord;
import org.fedtel.protocol.v1.EncryptedShare;
import org.fedtel.protocol.v1.EncryptedShares;
import org.fedtel.protocol.v1.Envelope;
import org.fedtel.protocol.v1.Hello;
import org.fedtel.protocol.v1.KeyList;
import org.fedtel.protocol.v1.MaskedInput;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.RoundDecision;
import org.fedtel.protocol.v1.RoundStart;
import org.fedtel.protocol.v1.SecAggParams;
import org.fedtel.protocol.v1.UnmaskRequest;
import org.fedtel.protocol.v1.UnmaskShares;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's privacy accounting against a real ledger and its auditor: what the coordinator
 * countersigns, what it charges, and what a restarted coordinator remembers. The sites are scripted
 * here (honest unless told otherwise) and secure aggregation is a pass-through: the defects under
 * test are in the accounting, not in the masking.
 */
class LedgerAccountingTest {
  static final String ORIGIN = "test/ledger";
  static final SigningKey COORDINATOR = key(99);
  static final int SITES = 4;
  static final double DELTA = 1e-5;

  @TempDir Path dir;

  static SigningKey key(int i) {
    byte[] seed = new byte[32];
    seed[0] = (byte) i;
    seed[1] = 7;
    return SigningKey.fromSeed(seed);
  }

  /** Mode local, 4 sites of 100..130 examples, all sampled, 3 needed; one local round costs each site about 3.0-3.5. */
  static RoundSettings local(int rounds) {
    return new RoundSettings(rounds, SITES, 3, Duration.ofSeconds(30), PrivacyMode.PRIVACY_MODE_LOCAL, 1.0, 1.0, DELTA, 1, 10, 0.1, 64, 0);
  }

  /** Secure aggregation that adds nothing and hides nothing: the sum is zero, every site survives. */
  static final SecAggServer.Factory PASS_THROUGH = (round, secagg, privacy, length) -> new SecAggServer() {
    final SecAggParams params = secagg.toBuilder().setVectorLength(length).build();

    @Override public SecAggParams params() {
      return params;
    }
    @Override public void advertise(String siteId, byte[] certificate, AdvertiseKeys keys) { }
    @Override public KeyList keyList() {
      return KeyList.getDefaultInstance();
    }
    @Override public void shares(String siteId, List<EncryptedShare> shares) { }
    @Override public Map<String, List<EncryptedShare>> routedShares() {
      return Map.of();
    }
    @Override public void masked(String siteId, MaskedInput input) { }
    @Override public ConsistencyCheck consistencyCheck() {
      return ConsistencyCheck.getDefaultInstance();
    }
    @Override public void signature(String siteId, ConsistencySignature signature) { }
    @Override public UnmaskRequest unmaskRequest() {
      return UnmaskRequest.getDefaultInstance();
    }
    @Override public void unmask(String siteId, UnmaskShares shares) { }
    @Override public double[] sum() {
      return new double[length];
    }
  };

  /**
   * A site that follows the protocol and signs honest data-use records (the round's mechanism, its
   * own δ, ε recomputed by its own accountant), unless {@link #tamper} rewrites the record.
   */
  static final class ScriptedSite {
    final int index;
    final String id;
    final long examples;
    double budgetEpsilon;
    long sequence;
    RoundStart start;
    final RdpAccountant spent = new RdpAccountant();
    UnaryOperator<DataUseBody> tamper = UnaryOperator.identity();
    /** Rewrites the record after its ε fields are computed (a site lying about ε, not the mechanism). */
    UnaryOperator<DataUseBody> tamperEpsilons = UnaryOperator.identity();
    /** Set: the site's masked input is lost (it dies after its data-use record). */
    boolean loseMaskedInput;

    ScriptedSite(int index, double budgetEpsilon) {
      this.index = index;
      this.id = "site-" + index;
      this.examples = 100 + 10L * index;
      this.budgetEpsilon = budgetEpsilon;
    }

    Envelope.Builder envelope(long round) {
      return Wire.envelope(id, round, ++sequence);
    }

    Envelope hello() {
      return envelope(0).setHello(Hello.newBuilder().setExampleCount(examples)
          .setBudgetEpsilon(budgetEpsilon).setBudgetDelta(DELTA)).build();
    }

    List<Envelope> on(Envelope e) throws Exception {
      long round = e.getRound();
      switch (e.getBodyCase()) {
        case ROUND_START -> {
          start = e.getRoundStart();
          return List.of(envelope(round).setRoundDecision(RoundDecision.newBuilder().setAccepted(true)).build(),
              envelope(round).setAdvertiseKeys(AdvertiseKeys.getDefaultInstance()).build());
        }
        case KEY_LIST -> {
          return List.of(envelope(round).setEncryptedShares(EncryptedShares.getDefaultInstance()).build());
        }
        case ENCRYPTED_SHARES -> {
          List<Envelope> out = new ArrayList<>();
          out.add(dataUse(round));
          if (!loseMaskedInput) {
            MaskedInput.Builder m = MaskedInput.newBuilder().setWeight(examples);
            for (int i = 0; i < start.getParametersCount(); i++) {
              m.addValues(0);
            }
            out.add(envelope(round).setMaskedInput(m).build());
          }
          return out;
        }
        case CONSISTENCY_CHECK -> {
          return List.of(envelope(round).setConsistencySignature(ConsistencySignature.getDefaultInstance()).build());
        }
        case UNMASK_REQUEST -> {
          return List.of(envelope(round).setUnmaskShares(UnmaskShares.getDefaultInstance()).build());
        }
        default -> {
          return List.of(); // RoundResult, Checkpoint, DataUseStatus, Heartbeat
        }
      }
    }

    /** The honest record: the local DP-SGD schedule of this site's examples (Abadi et al. 2016). */
    private Envelope dataUse(long round) {
      PrivacyParams p = start.getPrivacy();
      int batch = start.getTrainConfig().getBatchSize();
      double q = Math.min(1.0, (double) batch / examples);
      long steps = start.getTrainConfig().getLocalEpochs() * ((examples + batch - 1) / batch);
      DataUseBody honest = DataUseBody.newBuilder().setRound(round).setSiteId(id).setRecordCount(examples)
          .setDatasetSha256(ByteString.copyFrom(new byte[32])).setAccountant("rdp")
          .setPrivacyMode(org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_LOCAL)
          .setClipNorm(p.getClipNorm()).setNoiseMultiplier(p.getNoiseMultiplier()).setSamplingRate(q).setSteps(steps)
          .setDelta(DELTA).build();
      DataUseBody b = tamper.apply(honest);
      RdpAccountant one = new RdpAccountant().composeSampledGaussian(b.getSamplingRate(), b.getNoiseMultiplier(), b.getSteps());
      spent.compose(one);
      b = b.toBuilder().setRoundEpsilon(one.epsilon(b.getDelta())).setCumulativeEpsilon(spent.epsilon(b.getDelta())).build();
      b = tamperEpsilons.apply(b);
      byte[] body = DataUseSignatures.serialize(b);
      return envelope(round).setDataUse(DataUseRecord.newBuilder().setRecord(ByteString.copyFrom(body))
          .setSiteSignature(ByteString.copyFrom(DataUseSignatures.signBySite(key(index), body)))).build();
    }
  }

  /** One coordinator engine over the ledger and state under a directory, and the sites it talks to. */
  static final class Coordinator implements AutoCloseable {
    final CoordinatorServerTest.ManualClock clock = new CoordinatorServerTest.ManualClock();
    final Map<String, ScriptedSite> sites = new TreeMap<>();
    final Ledger ledger;
    final LedgerLog log;
    final Federation federation;
    final Deque<Outbound> queue = new ArrayDeque<>();
    final List<String> refusals = new ArrayList<>();
    /** Sites whose connection has closed: nothing more is delivered to or from them. */
    final Set<String> gone = new HashSet<>();
    final List<Outbound> sent = new ArrayList<>();
    /** A site served before the others, and the message after whose answer its connection closes. */
    String first;
    Envelope.BodyCase closesAfterAnswering;

    Coordinator(Path dir, RoundSettings settings, double budgetEpsilon) throws Exception {
      Map<String, VerifyingKey> keys = new TreeMap<>();
      for (int i = 0; i < SITES; i++) {
        ScriptedSite s = new ScriptedSite(i, budgetEpsilon);
        sites.put(s.id, s);
        keys.put(s.id, key(i).verifyingKey());
      }
      ledger = Ledger.open(dir.resolve("ledger"), Genesis.newBuilder().setConsortiumId("test").setOrigin(ORIGIN)
          .setCoordinatorKey(ByteString.copyFrom(COORDINATOR.verifyingKey().toBytes()))
          .setCaCertificateSha256(ByteString.copyFrom(new byte[32])).build(), COORDINATOR, clock);
      log = new LedgerLog(ledger, keys, Map.of(), settings.privacyMode());
      federation = new Federation(settings, Strategies.fedAvg(), new double[3], PASS_THROUGH, log,
          new StateStore(dir.resolve("state")), clock, new SplittableRandom(7));
    }

    void connectAll() throws Exception {
      for (ScriptedSite s : sites.values()) {
        queue.addAll(federation.onHello(s.id, s.hello()));
      }
    }

    /** Delivers everything queued, both ways, until nothing is left. */
    void pump() throws Exception {
      while (!queue.isEmpty()) {
        Outbound o = queue.stream().filter(x -> x.siteId().equals(first)).findFirst().orElse(queue.peek());
        queue.remove(o);
        sent.add(o);
        if (gone.contains(o.siteId())) {
          continue;
        }
        for (Envelope reply : sites.get(o.siteId()).on(o.envelope())) {
          try {
            queue.addAll(federation.onEnvelope(o.siteId(), reply));
          } catch (RejectedMessageException e) {
            refusals.add(o.siteId() + ": " + e.reason() + ": " + e.getMessage());
          }
        }
        if (o.siteId().equals(first) && o.envelope().getBodyCase() == closesAfterAnswering) {
          gone.add(first);
          queue.addAll(federation.onDisconnect(first));
        }
      }
    }

    void tick(long millis) throws Exception {
      clock.millis.addAndGet(millis);
      queue.addAll(federation.onTick());
      pump();
    }

    /** Every entry of the ledger. */
    List<Entry> entries() throws Exception {
      List<Entry> out = new ArrayList<>();
      for (long i = 1; i < ledger.size(); i++) {
        out.add(Entry.parseFrom(ledger.entry(i)));
      }
      return out;
    }

    @Override
    public void close() throws Exception {
      ledger.close();
    }
  }

  private static void assertAccounts(Map<String, Double> expected, Map<String, Double> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (String id : expected.keySet()) {
      assertEquals(expected.get(id), actual.get(id), 1e-9, id);
    }
  }

  private static Map<String, Double> auditedSpend(AuditReport report) {
    Map<String, Double> out = new TreeMap<>();
    for (var s : report.sites()) {
      out.put(s.siteId(), s.spentEpsilon());
    }
    return out;
  }

  @Test
  void aDataUseRecordStatingLessNoiseThanTheRoundIsRefusedAndNotWritten() throws Exception {
    Map<String, Double> coordinatorAccount;
    try (Coordinator c = new Coordinator(dir, local(1), 1e6)) {
      // site-3 signs a record with z = 50 in a round whose mechanism is z = 1: an ε of 0.016 instead of 3.05.
      c.sites.get("site-3").tamper = b -> b.toBuilder().setNoiseMultiplier(50).build();
      c.connectAll();
      c.pump();
      assertTrue(c.refusals.stream().anyMatch(r -> r.startsWith("site-3: BAD_CONTENT")
          && r.contains("does not state the round's mechanism") && r.contains("noise multiplier 50.0 (round: 1.0)")), c.refusals.toString());
      for (Entry e : c.entries()) {
        if (e.hasDataUse()) {
          assertFalse(DataUseBody.parseFrom(e.getDataUse().getBody()).getSiteId().equals("site-3"),
              "the understated record was countersigned into the ledger");
        }
      }
      c.tick(31_000); // site-3 never sends an acceptable record: dropped at the deadline, the others commit
      RoundSummary r = c.federation.history().get(0);
      assertTrue(r.committed(), r.reason());
      assertEquals(List.of("site-0", "site-1", "site-2"), r.survivors());
      coordinatorAccount = c.federation.epsilonSpent();
      assertEquals(0.0, coordinatorAccount.get("site-3"));
    }
    Map<String, Double> audited = auditedSpend(LedgerAudit.verify(dir.resolve("ledger")));
    for (String id : List.of("site-0", "site-1", "site-2")) {
      assertEquals(coordinatorAccount.get(id), audited.get(id), 1e-9, id);
    }
  }

  @Test
  void eachMechanismFieldTooLargeADeltaAndWrongEpsilonsAreRefused() throws Exception {
    Map<String, UnaryOperator<DataUseBody>> lies = new java.util.LinkedHashMap<>();
    lies.put("sampling rate", b -> b.toBuilder().setSamplingRate(b.getSamplingRate() / 2).build());
    lies.put("steps", b -> b.toBuilder().setSteps(1).build());
    lies.put("clip norm", b -> b.toBuilder().setClipNorm(0.5).build());
    lies.put("delta", b -> b.toBuilder().setDelta(DELTA * 10).build());
    lies.put("privacy mode", b -> b.toBuilder().setPrivacyMode(org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_DISTRIBUTED).build());
    lies.put("accountant", b -> b.toBuilder().setAccountant("pld").build());
    // The ε fields the auditor recomputes, stated wrongly with the right mechanism: a record
    // countersigned with another value would make every later audit of the ledger fail at it.
    Map<String, UnaryOperator<DataUseBody>> epsilonLies = new java.util.LinkedHashMap<>();
    epsilonLies.put("round epsilon", b -> b.toBuilder().setRoundEpsilon(b.getRoundEpsilon() / 2).build());
    epsilonLies.put("cumulative epsilon", b -> b.toBuilder().setCumulativeEpsilon(b.getCumulativeEpsilon() / 2).build());
    java.util.Set<String> afterEpsilons = epsilonLies.keySet();
    lies.putAll(epsilonLies);
    for (var lie : lies.entrySet()) {
      Path sub = dir.resolve(lie.getKey().replace(' ', '-'));
      try (Coordinator c = new Coordinator(sub, local(1), 1e6)) {
        if (afterEpsilons.contains(lie.getKey())) {
          c.sites.get("site-2").tamperEpsilons = lie.getValue();
        } else {
          c.sites.get("site-2").tamper = lie.getValue();
        }
        c.connectAll();
        c.pump();
        assertTrue(c.refusals.stream().anyMatch(r -> r.startsWith("site-2: BAD_CONTENT") && r.contains(lie.getKey())),
            lie.getKey() + ": " + c.refusals);
        assertFalse(c.log.hasDataUse("site-2", 1), lie.getKey());
        assertTrue(c.log.hasDataUse("site-1", 1), "an honest record is still countersigned");
      }
    }
  }

  @Test
  void aRestartedCoordinatorNeverSamplesASiteRecordedExhaustedWhateverItNowDeclares() throws Exception {
    // Budget 3.5: one local round fits every site (3.05-3.44), a second fits none.
    try (Coordinator c = new Coordinator(dir, local(2), 3.5)) {
      c.connectAll();
      c.pump();
      assertTrue(c.federation.history().get(0).committed());
      assertFalse(c.federation.history().get(1).committed(), "round 2 leaves out every site");
      assertEquals(SITES, c.entries().stream().filter(Entry::hasBudgetExhausted).count());
    }
    // Restart: same ledger and state; every site now declares a budget of 100.
    try (Coordinator c = new Coordinator(dir, local(3), 100)) {
      long before = c.ledger.size();
      c.connectAll();
      c.pump();
      c.tick(31_000);
      c.tick(31_000);
      assertEquals(List.of(), c.federation.history(), "no round may start: every site was recorded exhausted");
      assertEquals(before, c.ledger.size(), "nothing recorded after the restart");
      assertTrue(c.sent.stream().noneMatch(o -> o.envelope().hasRoundStart()), "an exhausted site was sampled again");
    }
    AuditReport report = LedgerAudit.verify(dir.resolve("ledger"));
    for (var s : report.sites()) {
      assertTrue(s.exhausted(), s.toString());
      assertEquals(1, s.dataUses(), s.toString());
    }
  }

  @Test
  void aRestartedCoordinatorKeepsTheEnrolledBudgetAgainstALargerOneInALaterHello() throws Exception {
    Map<String, Double> first;
    try (Coordinator c = new Coordinator(dir, local(1), 3.5)) {
      c.connectAll();
      c.pump();
      assertTrue(c.federation.history().get(0).committed());
      first = c.federation.epsilonSpent();
    }
    // Restart for a second round; the sites declare 100, which the enrolled 3.5 does not allow.
    try (Coordinator c = new Coordinator(dir, local(2), 100)) {
      c.connectAll();
      c.pump();
      RoundSummary r = c.federation.history().get(0);
      assertFalse(r.committed(), "the round would spend past the enrolled budget of every site");
      assertEquals(SITES, r.failures().size(), r.failures().toString());
      assertTrue(r.failures().stream().allMatch(f -> f.reason().contains("declared 3.500")), r.failures().toString());
      assertAccounts(first, c.federation.epsilonSpent());
    }
    AuditReport report = LedgerAudit.verify(dir.resolve("ledger"));
    assertAccounts(first, auditedSpend(report));
  }

  @Test
  void aSiteIsChargedWhenItsDataUseIsRecordedEvenIfItsMaskedInputNeverArrives() throws Exception {
    Map<String, Double> account;
    try (Coordinator c = new Coordinator(dir, local(1), 1e6)) {
      c.sites.get("site-3").loseMaskedInput = true;
      c.connectAll();
      c.pump();
      assertTrue(c.log.hasDataUse("site-3", 1));
      c.tick(31_000);
      RoundSummary r = c.federation.history().get(0);
      assertTrue(r.committed(), r.reason());
      assertEquals(List.of("site-0", "site-1", "site-2"), r.survivors());
      account = c.federation.epsilonSpent();
      assertTrue(account.get("site-3") > 3, "site-3's recorded use is charged: " + account);
    }
    assertAccounts(auditedSpend(LedgerAudit.verify(dir.resolve("ledger"))), account);
  }

  /**
   * A site that answers a phase and then disconnects while the others are still answering is left
   * out at the phase change, not waited for until the next phase's deadline; the clock never moves.
   */
  @Test
  void aSiteThatDisconnectsAfterAnsweringIsLeftOutAtThePhaseChangeWithoutWaiting() throws Exception {
    for (Envelope.BodyCase after : List.of(Envelope.BodyCase.ROUND_START, Envelope.BodyCase.KEY_LIST)) {
      try (Coordinator c = new Coordinator(dir.resolve(after.name()), local(1), 1e6)) {
        c.first = "site-3";
        c.closesAfterAnswering = after;
        c.connectAll();
        c.pump();
        assertEquals(1, c.federation.history().size(), after + ": the round waits for a closed connection");
        RoundSummary r = c.federation.history().get(0);
        assertTrue(r.committed(), r.reason());
        assertEquals(List.of("site-0", "site-1", "site-2"), r.survivors(), after.name());
        assertTrue(r.failures().stream().anyMatch(f -> f.siteId().equals("site-3") && f.reason().contains("connection closed")),
            r.failures().toString());
        assertFalse(c.log.hasDataUse("site-3", 1));
      }
    }
  }

  /** After its masked input is in, a site whose connection closes stays a survivor, and the unmasking does not wait for it. */
  @Test
  void aSiteThatDisconnectsAfterItsMaskedInputStaysASurvivorWithoutBeingWaitedFor() throws Exception {
    Map<String, Double> account;
    try (Coordinator c = new Coordinator(dir, local(1), 1e6)) {
      c.first = "site-3";
      c.closesAfterAnswering = Envelope.BodyCase.ENCRYPTED_SHARES;
      c.connectAll();
      c.pump();
      assertEquals(1, c.federation.history().size(), "the round waits for a closed connection");
      RoundSummary r = c.federation.history().get(0);
      assertTrue(r.committed(), r.reason());
      assertEquals(List.of("site-0", "site-1", "site-2", "site-3"), r.survivors());
      assertTrue(c.sent.stream().noneMatch(o -> o.siteId().equals("site-3") && o.envelope().hasUnmaskRequest()),
          "an unmask request was sent to a closed connection");
      account = c.federation.epsilonSpent();
    }
    assertAccounts(auditedSpend(LedgerAudit.verify(dir.resolve("ledger"))), account);
  }
}
