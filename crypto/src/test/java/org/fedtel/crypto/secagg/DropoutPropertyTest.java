package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.fedtel.crypto.secagg.Federation.Drop;
import org.junit.jupiter.api.Test;

/** Random dropout patterns: the sum is exact whenever it can be, and a typed error otherwise. */
class DropoutPropertyTest {
  private static final Drop[] DROPS = Drop.values();

  /**
   * Complete graph: every site of U5 (those that answer the unmask request) holds a share of every
   * secret and, having signed, every signer is in its share group, so the round succeeds exactly
   * when |U5| ≥ t (then at least t signed too). Checked against that prediction, with sites
   * dropping at every point, including after masking (unsigned) and after signing.
   */
  @Test
  void completeGraphSucceedsExactlyWhenEnoughSitesAnswer() throws Exception {
    SplittableRandom rnd = new SplittableRandom(20261129);
    int successes = 0;
    int failures = 0;
    for (int trial = 0; trial < 40; trial++) {
      int n = 3 + rnd.nextInt(10);
      int t = n / 2 + 1 + rnd.nextInt(n - n / 2);
      SecAggParams p = new SecAggParams(trial, Federation.sites(n), t, 1 + rnd.nextInt(64), 0,
          new byte[32], 1 + rnd.nextInt(40));
      double rate = rnd.nextDouble() * 0.6;
      Map<String, Drop> drops = new HashMap<>();
      int answering = 0;
      for (String id : p.participants()) {
        Drop d = rnd.nextDouble() < rate ? DROPS[1 + rnd.nextInt(DROPS.length - 1)] : Drop.NEVER;
        drops.put(id, d);
        if (d == Drop.NEVER) {
          answering++;
        }
      }
      long[][] x = Federation.inputs(p, trial);
      String where = "trial " + trial + " n=" + n + " t=" + t + " drops=" + drops;
      try {
        AggregateResult r = new Federation(p, trial).run(x, drops);
        assertTrue(answering >= t, where + ": succeeded with only " + answering + " answering");
        assertArrayEquals(Federation.expectedSum(p, x, r.survivors()), r.sum(), where);
        for (String id : r.survivors()) {
          Drop d = drops.get(id);
          assertTrue(d == Drop.NEVER || d == Drop.AFTER_MASK || d == Drop.AFTER_CHECK, where);
        }
        successes++;
      } catch (SecAggException e) {
        assertEquals(SecAggException.Reason.TOO_FEW_SURVIVORS, e.reason(), where);
        assertTrue(answering < t, where + ": failed although " + answering + " answered: " + e);
        failures++;
      }
    }
    assertTrue(successes > 5 && failures > 3, successes + " successes, " + failures + " failures");
  }

  /** SecAgg+ graph: outcomes are an exact sum or TOO_FEW_SURVIVORS, never a wrong sum. */
  @Test
  void sparseGraphIsExactOrFailsTyped() throws Exception {
    SplittableRandom rnd = new SplittableRandom(7);
    int successes = 0;
    int failures = 0;
    for (int trial = 0; trial < 20; trial++) {
      int n = 15 + rnd.nextInt(20);
      int k = 2 * (2 + rnd.nextInt(3));
      int t = (k + 1) / 2 + 1 + rnd.nextInt((k + 1) - (k + 1) / 2);
      byte[] seed = new byte[32];
      seed[0] = (byte) trial;
      SecAggParams p = new SecAggParams(trial, Federation.sites(n), t, 32, k, seed, 5);
      double rate = rnd.nextDouble() * 0.5;
      Map<String, Drop> drops = new HashMap<>();
      for (String id : p.participants()) {
        drops.put(id, rnd.nextDouble() < rate ? DROPS[1 + rnd.nextInt(DROPS.length - 1)] : Drop.NEVER);
      }
      long[][] x = Federation.inputs(p, trial);
      try {
        AggregateResult r = new Federation(p, trial).run(x, drops);
        assertArrayEquals(Federation.expectedSum(p, x, r.survivors()), r.sum(), "trial " + trial);
        successes++;
      } catch (SecAggException e) {
        if (e.reason() != SecAggException.Reason.TOO_FEW_SURVIVORS) {
          fail("trial " + trial + ": " + e);
        }
        failures++;
      }
    }
    assertTrue(successes > 5 && failures > 0, successes + " successes, " + failures + " failures");
  }
}
