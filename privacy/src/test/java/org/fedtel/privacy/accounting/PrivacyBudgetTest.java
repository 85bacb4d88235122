package org.fedtel.privacy.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PrivacyBudgetTest {
  @Test
  void recordsUntilTheBudgetAndRefusesTheOverspend() throws Exception {
    PrivacyBudget b = new PrivacyBudget(1.0, 1e-5);
    SampledGaussian round = new SampledGaussian(0.01, 2.0, 50);
    int rounds = 0;
    while (!b.wouldExceed(round)) {
      b.record(round);
      rounds++;
    }
    assertTrue(rounds > 1, "rounds=" + rounds);
    double spent = b.spentEpsilon();
    assertTrue(spent <= 1.0);
    BudgetExceededException e = assertThrows(BudgetExceededException.class, () -> b.record(round));
    assertTrue(e.getMessage().contains("declared 1.00000"), e.getMessage());
    assertEquals(spent, b.spentEpsilon(), 0.0, "a refused spend changes nothing");
    // Same spend recomputed independently.
    RdpAccountant acc = new RdpAccountant().composeSampledGaussian(0.01, 2.0, 50L * rounds);
    assertEquals(acc.epsilon(1e-5), spent, 1e-9);
  }

  @Test
  void extremeMultipliersRecordOrRefuseWithTheTypedException() throws Exception {
    // record() is documented to fail only with BudgetExceededException; these threw
    // ArithmeticException from the accountant.
    PrivacyBudget b = new PrivacyBudget(1, 1e-5);
    b.record(new SampledGaussian(0.01, 1e8, 1));
    assertTrue(b.spentEpsilon() < 1e-3, "spent " + b.spentEpsilon());
    assertThrows(BudgetExceededException.class, () -> b.record(new SampledGaussian(0.01, 1e-160, 1)));
  }

  @Test
  void freshBudget() {
    PrivacyBudget b = new PrivacyBudget(2, 1e-6);
    assertEquals(0, b.spentEpsilon());
    assertEquals(2, b.remainingEpsilon());
    assertFalse(b.wouldExceed(new SampledGaussian(0, 1, 10)));
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(0, 1e-5));
    assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(Double.POSITIVE_INFINITY, 1e-5));
    assertThrows(IllegalArgumentException.class, () -> new PrivacyBudget(1, 1));
    assertThrows(IllegalArgumentException.class, () -> new SampledGaussian(2, 1, 1));
  }
}
