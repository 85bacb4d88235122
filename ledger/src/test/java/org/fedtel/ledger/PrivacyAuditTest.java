package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import org.fedtel.crypto.SigningKey;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;
import org.fedtel.ledger.v1.PrivacyMode;
import org.fedtel.ledger.v1.RoundCommitted;
import org.fedtel.ledger.v1.RoundStarted;
import org.fedtel.ledger.v1.SiteEnrolled;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The privacy part of the audit: modes, accountants, budgets, recorded against recomputed ε. */
class PrivacyAuditTest {
  @TempDir Path dir;
  final SigningKey site = SyntheticLedger.siteKey(9, 0);

  private Ledger ledger(double budgetEpsilon) throws Exception {
    Ledger l = Ledger.open(dir, SyntheticLedger.genesis(9), SyntheticLedger.coordinatorKey(9),
        SyntheticLedger.steppingClock());
    l.append(Entry.newBuilder().setSiteEnrolled(SiteEnrolled.newBuilder().setSiteId("hpc-a")
        .setCertificateSha256(ByteString.copyFrom(new byte[32]))
        .setSigningKey(ByteString.copyFrom(site.verifyingKey().toBytes()))
        .setBudgetEpsilon(budgetEpsilon).setBudgetDelta(1e-5)));
    return l;
  }

  private void round(Ledger l, long round, DataUseBody body) throws Exception {
    l.append(Entry.newBuilder().setRoundStarted(RoundStarted.newBuilder().setRound(round).addSampledSites("hpc-a")));
    byte[] bytes = body.toByteArray();
    l.appendDataUse(bytes, DataUseSignatures.signBySite(site, bytes));
    l.append(Entry.newBuilder().setRoundCommitted(RoundCommitted.newBuilder().setRound(round).addSurvivors("hpc-a")
        .setModelSha256(ByteString.copyFrom(new byte[32]))));
  }

  private static DataUseBody.Builder local(long round, double q, double z, long steps) {
    return DataUseBody.newBuilder().setRound(round).setSiteId("hpc-a").setRecordCount(60000)
        .setPrivacyMode(PrivacyMode.PRIVACY_MODE_LOCAL).setClipNorm(1.0).setNoiseMultiplier(z).setSamplingRate(q)
        .setSteps(steps).setDelta(1e-5);
  }

  @Test
  void localDpSgdSpendIsRecomputedWithBothConversions() throws Exception {
    // The TF-Privacy setting of VECTORS.md, split over two rounds of 3000 steps each.
    double q = 150.0 / 60000;
    RdpAccountant one = new RdpAccountant().composeSampledGaussian(q, 1.3, 3000);
    RdpAccountant two = new RdpAccountant().composeSampledGaussian(q, 1.3, 3000).compose(one);
    try (Ledger l = ledger(2.0)) {
      round(l, 1, local(1, q, 1.3, 3000).setAccountant("rdp").setRoundEpsilon(one.epsilon(1e-5))
          .setCumulativeEpsilon(one.epsilon(1e-5)).build());
      round(l, 2, local(2, q, 1.3, 3000).setAccountant("rdp-classic").setRoundEpsilon(one.epsilonClassic(1e-5))
          .setCumulativeEpsilon(two.epsilonClassic(1e-5)).build());
    }
    AuditReport r = LedgerAudit.verify(dir);
    assertEquals(two.epsilonClassic(1e-5), r.sites().get(0).spentEpsilon(), 1e-12);
    // Same order, classic conversion at 6000 steps: the published 0.94187 (TF-Privacy), to the
    // precision the default order grid allows.
    assertEquals(0.941870567, r.sites().get(0).spentEpsilon(), 0.01);
  }

  @Test
  void overspendingTheDeclaredBudgetFails() throws Exception {
    RdpAccountant one = new RdpAccountant().composeSampledGaussian(0.5, 1.0, 10);
    double eps = one.epsilon(1e-5);
    try (Ledger l = ledger(eps * 1.05)) {
      round(l, 1, local(1, 0.5, 1.0, 10).setAccountant("rdp").setRoundEpsilon(eps).setCumulativeEpsilon(eps).build());
      RdpAccountant both = new RdpAccountant().composeSampledGaussian(0.5, 1.0, 10).compose(one);
      round(l, 2, local(2, 0.5, 1.0, 10).setAccountant("rdp").setRoundEpsilon(eps)
          .setCumulativeEpsilon(both.epsilon(1e-5)).build());
    }
    CorruptLedgerException e = assertThrows(CorruptLedgerException.class, () -> LedgerAudit.verify(dir));
    assertTrue(e.getMessage().startsWith("ledger entry 6: site 'hpc-a' has spent ε="), e.getMessage());
    assertTrue(e.getMessage().contains("more than its declared budget"), e.getMessage());
  }

  @Test
  void privacyModeNoneIsInfiniteFlaggedAndOnlyPassesWithAnInfiniteBudget() throws Exception {
    DataUseBody none = DataUseBody.newBuilder().setRound(1).setSiteId("hpc-a")
        .setPrivacyMode(PrivacyMode.PRIVACY_MODE_NONE).setRoundEpsilon(Double.POSITIVE_INFINITY)
        .setCumulativeEpsilon(Double.POSITIVE_INFINITY).build();
    try (Ledger l = ledger(Double.POSITIVE_INFINITY)) {
      round(l, 1, none);
    }
    AuditReport r = LedgerAudit.verify(dir);
    assertEquals(1, r.unprotectedUses());
    assertTrue(r.sites().get(0).unprotected());
  }

  @Test
  void privacyModeNoneAgainstAFiniteBudgetFails() throws Exception {
    DataUseBody none = DataUseBody.newBuilder().setRound(1).setSiteId("hpc-a")
        .setPrivacyMode(PrivacyMode.PRIVACY_MODE_NONE).setRoundEpsilon(Double.POSITIVE_INFINITY)
        .setCumulativeEpsilon(Double.POSITIVE_INFINITY).build();
    try (Ledger l = ledger(4.0)) {
      round(l, 1, none);
    }
    CorruptLedgerException e = assertThrows(CorruptLedgerException.class, () -> LedgerAudit.verify(dir));
    assertTrue(e.getMessage().contains("has spent ε=Infinity, more than its declared budget ε=4.0"), e.getMessage());
  }

  @Test
  void invalidMechanismParametersAndUnknownAccountantsFail() throws Exception {
    try (Ledger l = ledger(10)) {
      round(l, 1, local(1, Double.NaN, 1.0, 10).setAccountant("rdp").build());
    }
    assertTrue(assertThrows(CorruptLedgerException.class, () -> LedgerAudit.verify(dir)).getMessage()
        .contains("records invalid mechanism parameters"));
  }

  /** steps is a uint64: 2^64 − 1 reads as −1 in Java, and must be refused like 0, not crash the accountant. */
  @Test
  void stepsBeyondTheSignedRangeAreRefusedNamingTheEntry() throws Exception {
    try (Ledger l = ledger(10)) {
      round(l, 1, local(1, 0.01, 1.1, -1L).setAccountant("rdp").build());
    }
    CorruptLedgerException e = assertThrows(CorruptLedgerException.class, () -> LedgerAudit.verify(dir));
    assertEquals(3, e.entryIndex());
    assertTrue(e.getMessage().contains("records invalid mechanism parameters"), e.getMessage());
    assertTrue(e.getMessage().contains("steps=18446744073709551615"), e.getMessage());
  }

  /**
   * A noise multiplier far outside any real use (10^8, where the accountant's series needs care)
   * recorded with a made-up ε: whatever the accountant makes of it, the audit fails naming the
   * entry with a typed exception — never an unchecked one out of the accountant.
   */
  @Test
  void extremeMechanismParametersFailNamingTheEntry() throws Exception {
    try (Ledger l = ledger(10)) {
      round(l, 1, local(1, 0.01, 1e8, 10).setAccountant("rdp").setRoundEpsilon(1).setCumulativeEpsilon(1).build());
    }
    CorruptLedgerException e = assertThrows(CorruptLedgerException.class, () -> LedgerAudit.verify(dir));
    assertEquals(3, e.entryIndex());
    assertTrue(e.getMessage().contains("cannot be accounted") || e.getMessage().contains("recomputes to"),
        e.getMessage());
  }
}
