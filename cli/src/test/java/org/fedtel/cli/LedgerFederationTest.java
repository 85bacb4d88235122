package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.fedtel.cli.InMemoryFederationTest.Carrier;
import org.fedtel.cli.InMemoryFederationTest.LeastSquares;
import org.fedtel.coordinator.Federation;
import org.fedtel.coordinator.LedgerLog;
import org.fedtel.coordinator.RoundSettings;
import org.fedtel.coordinator.RoundSummary;
import org.fedtel.coordinator.StateStore;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.LedgerAudit;
import org.fedtel.ledger.Witness;
import org.fedtel.ledger.v1.Genesis;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.siteagent.SiteSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Distributed DP + secure aggregation with the real ledger; the auditor verifies the result. */
class LedgerFederationTest {
  @TempDir Path dir;

  @Test
  void roundsWithADropoutAndABudgetStopAreRecordedAndAudited() throws Exception {
    TestConsortium keys = new TestConsortium(4);
    Genesis genesis = keys.genesis("test");
    Carrier c = new Carrier();
    RoundSettings settings = new RoundSettings(3, 4, 3, Duration.ofSeconds(5), PrivacyMode.PRIVACY_MODE_DISTRIBUTED,
        1.0, 1.0, 1e-5, 3, 32, 0.1, 32, 0);
    Witness[] witnesses = new Witness[4];
    try (Ledger ledger = Ledger.open(dir.resolve("ledger"), genesis, keys.coordinatorKey, c.clock)) {
      for (int i = 0; i < 4; i++) {
        String id = "site-" + i;
        witnesses[i] = keys.witness(id);
        // site-3 can afford two rounds but not three (see InMemoryFederationTest.budgetsLeaveSitesOutOnBothSides).
        c.sites.put(id, keys.session(id, new PrivacyBudget(i == 3 ? 8 : 20, 1e-5),
            new LeastSquares(100 + i, new double[] {1, -2, 0.5}, 0.5 * i, 60), witnesses[i]));
      }
      c.coordinator = new Federation(settings, Strategies.fedAvg(), new double[3], keys.server(),
          new LedgerLog(ledger, keys.verifyingKeys(), java.util.Map.of(), PrivacyMode.PRIVACY_MODE_DISTRIBUTED),
          new StateStore(dir.resolve("state")), c.clock, new SplittableRandom(3));
      c.connectAll();
      c.runRounds(1);
      // Round 2: site-1 dies after sending its shares (before its masked input).
      c.silentFrom.put("site-1", "ENCRYPTED_SHARES");
      c.runRounds(2);
      c.silentFrom.clear();
      c.runRounds(3);
      List<RoundSummary> h = c.coordinator.history();
      assertTrue(h.get(0).committed(), h.get(0).reason());
      assertEquals(4, h.get(0).survivors().size());
      assertTrue(h.get(1).committed(), h.get(1).reason());
      assertEquals(List.of("site-0", "site-2", "site-3"), h.get(1).survivors());
      // Round 3: site-3 is out of budget, so only 3 sampled sites remain.
      assertTrue(h.get(2).committed(), h.get(2).reason() + " " + h.get(2).failures());
      assertFalse(h.get(2).survivors().contains("site-3"));
      assertTrue(witnesses[0].acceptedSize() > 0, "survivors cosigned checkpoints");
    }
    AuditReport report = LedgerAudit.verify(dir.resolve("ledger"));
    assertTrue(report.cosignatures() >= 3, "cosignatures: " + report.cosignatures());
    for (AuditReport.SiteBudget b : report.sites()) {
      assertTrue(b.spentEpsilon() <= b.budgetEpsilon(), b.toString());
    }
    AuditReport.SiteBudget s3 = report.sites().stream().filter(b -> b.siteId().equals("site-3")).findFirst().orElseThrow();
    assertTrue(s3.exhausted(), s3.toString());
    assertEquals(2, s3.dataUses());
  }

  /**
   * A site trains and charges round 1, but its data use and masked input never reach the coordinator
   * (as when the coordinator dies at that moment); it reconnects for round 2. Its budget keeps the
   * charge; the cumulative ε it signs must leave it out, or the auditor cannot recompute it — and
   * the coordinator, which recomputes it as the auditor will, refuses the record.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aChargeWhoseDataUseNeverReachedTheLedgerIsReconciledOnReconnect(boolean statusArrives) throws Exception {
    TestConsortium keys = new TestConsortium(4);
    Genesis genesis = keys.genesis("test");
    RoundSettings settings = new RoundSettings(2, 4, 3, Duration.ofSeconds(5), PrivacyMode.PRIVACY_MODE_DISTRIBUTED,
        1.0, 1.0, 1e-5, 3, 32, 0.1, 32, 0);
    Carrier c = new Carrier();
    PrivacyBudget budget1 = new PrivacyBudget(50, 1e-5);
    org.fedtel.siteagent.DataUseAccount account1 = new org.fedtel.siteagent.DataUseAccount();
    Witness witness1 = keys.witness("site-1");
    LeastSquares data1 = new LeastSquares(101, new double[] {1, -2, 0.5}, 0.5, 60);
    try (Ledger ledger = Ledger.open(dir.resolve("ledger"), genesis, keys.coordinatorKey, c.clock)) {
      for (int i = 0; i < 4; i++) {
        String id = "site-" + i;
        c.sites.put(id, i == 1 ? keys.session(id, budget1, data1, witness1).account(account1)
            : keys.session(id, new PrivacyBudget(50, 1e-5), new LeastSquares(100 + i, new double[] {1, -2, 0.5}, 0.5 * i, 60),
                keys.witness(id)));
      }
      c.coordinator = new Federation(settings, Strategies.fedAvg(), new double[3], keys.server(),
          new LedgerLog(ledger, keys.verifyingKeys(), java.util.Map.of(), PrivacyMode.PRIVACY_MODE_DISTRIBUTED),
          new StateStore(dir.resolve("state")), c.clock, new SplittableRandom(3));
      c.lost = (site, e) -> site.equals("site-1") && (e.hasDataUse() || e.hasMaskedInput());
      c.connectAll();
      c.runRounds(1);
      assertEquals(List.of("site-0", "site-2", "site-3"), c.coordinator.history().get(0).survivors());
      double charged = budget1.spentEpsilon();
      assertTrue(charged > 0, "site-1 trained and charged round 1");
      assertEquals(List.of(1L), account1.unconfirmed());

      // site-1 reconnects: a new session with the same budget, witness and account.
      c.lost = (site, e) -> false;
      if (!statusArrives) {
        c.silentFrom.put("site-1", "DATA_USE_STATUS"); // the negative control: the answer is lost
      }
      SiteSession again = keys.session("site-1", budget1, data1, witness1).account(account1);
      c.sites.put("site-1", again);
      assertEquals(List.of(1L), again.hello().getHello().getUnconfirmedRoundsList());
      c.toSites.addAll(c.coordinator.onHello("site-1", again.hello()));
      if (statusArrives) {
        c.runRounds(2);
        assertTrue(c.coordinator.history().get(1).survivors().contains("site-1"), c.coordinator.history().get(1).toString());
        assertTrue(budget1.spentEpsilon() > charged, "the site's own budget keeps every charge");
      } else {
        // The negative control: the site never learns that round 1 is not in the ledger and signs a
        // cumulative ε that counts it. The coordinator recomputes it as the auditor will and refuses
        // the record, so it never countersigns what every later audit would reject.
        org.fedtel.protocol.RejectedMessageException r =
            assertThrows(org.fedtel.protocol.RejectedMessageException.class, () -> c.runRounds(2));
        assertTrue(r.getMessage().contains("site-1") && r.getMessage().contains("cumulative epsilon"), r.getMessage());
      }
    }
    AuditReport report = LedgerAudit.verify(dir.resolve("ledger"));
    AuditReport.SiteBudget s1 = report.sites().stream().filter(b -> b.siteId().equals("site-1")).findFirst().orElseThrow();
    if (statusArrives) {
      assertEquals(java.util.Set.of(1L), account1.unrecorded());
      assertEquals(1, s1.dataUses());
    } else {
      assertEquals(0, s1.dataUses(), "the refused record was not written");
    }
  }

  /**
   * A straggler: site-1's data use and masked input of round 1 arrive after the masking deadline. The
   * coordinator records neither and tells the site, so its next data use's cumulative ε recomputes.
   */
  @Test
  void aStragglersLateDataUseIsNotRecordedAndTheSiteIsToldSo() throws Exception {
    TestConsortium keys = new TestConsortium(4);
    Genesis genesis = keys.genesis("test");
    RoundSettings settings = new RoundSettings(2, 4, 3, Duration.ofSeconds(5), PrivacyMode.PRIVACY_MODE_DISTRIBUTED,
        1.0, 1.0, 1e-5, 3, 32, 0.1, 32, 0);
    Carrier c = new Carrier();
    PrivacyBudget budget1 = new PrivacyBudget(50, 1e-5);
    org.fedtel.siteagent.DataUseAccount account1 = new org.fedtel.siteagent.DataUseAccount();
    java.util.List<org.fedtel.protocol.v1.Envelope> held = new java.util.ArrayList<>();
    try (Ledger ledger = Ledger.open(dir.resolve("ledger"), genesis, keys.coordinatorKey, c.clock)) {
      for (int i = 0; i < 4; i++) {
        String id = "site-" + i;
        c.sites.put(id, keys.session(id, i == 1 ? budget1 : new PrivacyBudget(50, 1e-5),
            new LeastSquares(100 + i, new double[] {1, -2, 0.5}, 0.5 * i, 60), keys.witness(id)));
      }
      c.sites.get("site-1").account(account1);
      c.coordinator = new Federation(settings, Strategies.fedAvg(), new double[3], keys.server(),
          new LedgerLog(ledger, keys.verifyingKeys(), java.util.Map.of(), PrivacyMode.PRIVACY_MODE_DISTRIBUTED),
          new StateStore(dir.resolve("state")), c.clock, new SplittableRandom(3));
      c.lost = (site, e) -> {
        if (site.equals("site-1") && e.getRound() == 1 && (e.hasDataUse() || e.hasMaskedInput())) {
          held.add(e);
          return true;
        }
        return false;
      };
      c.connectAll();
      c.runRounds(1);
      assertEquals(List.of("site-0", "site-2", "site-3"), c.coordinator.history().get(0).survivors());
      assertEquals(2, held.size());
      // The straggler's replies arrive now: the data use is answered "not recorded", the input refused.
      List<org.fedtel.coordinator.Outbound> answer = c.coordinator.onEnvelope("site-1", held.get(0));
      assertEquals(1, answer.size());
      assertEquals(List.of(1L), answer.get(0).envelope().getDataUseStatus().getUnrecordedRoundsList());
      assertThrows(org.fedtel.protocol.RejectedMessageException.class, () -> c.coordinator.onEnvelope("site-1", held.get(1)));
      c.toSites.addAll(answer);
      c.lost = (site, e) -> false;
      c.runRounds(2);
      assertTrue(c.coordinator.history().get(1).survivors().contains("site-1"));
      assertEquals(java.util.Set.of(1L), account1.unrecorded());
    }
    AuditReport report = LedgerAudit.verify(dir.resolve("ledger"));
    AuditReport.SiteBudget s1 = report.sites().stream().filter(b -> b.siteId().equals("site-1")).findFirst().orElseThrow();
    assertEquals(1, s1.dataUses());
    assertTrue(budget1.spentEpsilon() > s1.spentEpsilon(), "the site's own budget keeps the straggled charge");
  }

  @Test
  void aRestartedCoordinatorAccountsEachSiteFromItsRecordedSpend() throws Exception {
    TestConsortium keys = new TestConsortium(4);
    Genesis genesis = keys.genesis("test");
    RoundSettings settings = new RoundSettings(4, 4, 3, Duration.ofSeconds(5), PrivacyMode.PRIVACY_MODE_DISTRIBUTED,
        1.0, 1.0, 1e-5, 3, 32, 0.1, 32, 0);
    Carrier c = new Carrier();
    java.util.Map<String, Double> before;
    try (Ledger ledger = Ledger.open(dir.resolve("ledger"), genesis, keys.coordinatorKey, c.clock)) {
      for (int i = 0; i < 4; i++) {
        String id = "site-" + i;
        c.sites.put(id, keys.session(id, new PrivacyBudget(50, 1e-5),
            new LeastSquares(100 + i, new double[] {1, -2, 0.5}, 0.5 * i, 60), keys.witness(id)));
      }
      c.coordinator = new Federation(settings, Strategies.fedAvg(), new double[3], keys.server(),
          new LedgerLog(ledger, keys.verifyingKeys(), java.util.Map.of(), PrivacyMode.PRIVACY_MODE_DISTRIBUTED),
          new StateStore(dir.resolve("state")), c.clock, new SplittableRandom(3));
      c.connectAll();
      c.runRounds(2);
      before = c.coordinator.epsilonSpent();
      assertTrue(before.values().stream().allMatch(e -> e > 0), before.toString());

      // The coordinator process is replaced: a new engine over the same ledger and state store.
      Carrier d = new Carrier();
      d.clock.millis = c.clock.millis;
      d.sites.putAll(c.sites);
      d.coordinator = new Federation(settings, Strategies.fedAvg(), new double[3], keys.server(),
          new LedgerLog(ledger, keys.verifyingKeys(), java.util.Map.of(), PrivacyMode.PRIVACY_MODE_DISTRIBUTED),
          new StateStore(dir.resolve("state")), d.clock, new SplittableRandom(4));
      d.connectAll();
      java.util.Map<String, Double> after = d.coordinator.epsilonSpent();
      assertEquals(before.keySet(), after.keySet());
      for (String site : before.keySet()) {
        assertEquals(before.get(site), after.get(site), 1e-9, site + " is accounted from its recorded spend, not from zero");
      }
    }
  }
}
