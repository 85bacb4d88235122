package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedtel.crypto.secagg.Federation.Drop;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class SecAggPlusTest {

  @Test
  void recommendedSwitchesToTheSparseGraphAboveTheThreshold() {
    SecAggParams small = SecAggParams.recommended(1, Federation.sites(200), 32, 4, new byte[32]);
    assertEquals(0, small.neighbours());
    assertEquals(101, small.threshold());
    SecAggParams big = SecAggParams.recommended(1, Federation.sites(1000), 32, 4, new byte[32]);
    assertEquals(40, big.neighbours());
    assertEquals(21, big.threshold());
  }

  @Test
  void graphIsRegularSymmetricAndSeeded() {
    byte[] seed = new byte[32];
    SecAggParams p = new SecAggParams(3, Federation.sites(50), 5, 32, 8, seed, 4);
    NeighbourGraph g = new NeighbourGraph(p);
    for (int i = 0; i < 50; i++) {
      int[] group = g.group(i);
      assertEquals(9, group.length);
      assertEquals(9, Arrays.stream(group).distinct().count());
      int self = i;
      assertTrue(Arrays.stream(group).anyMatch(v -> v == self));
      int degree = 0;
      for (int j = 0; j < 50; j++) {
        assertEquals(g.adjacent(i, j), g.adjacent(j, i));
        if (g.adjacent(i, j)) {
          degree++;
          int jj = j;
          assertTrue(Arrays.stream(group).anyMatch(v -> v == jj));
        }
      }
      assertEquals(8, degree);
    }
    NeighbourGraph same = new NeighbourGraph(p);
    seed[0] = 1;
    NeighbourGraph other = new NeighbourGraph(new SecAggParams(3, Federation.sites(50), 5, 32, 8, seed, 4));
    Set<String> a = new HashSet<>();
    Set<String> b = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      assertArrayEquals(g.group(i), same.group(i));
      a.add(Arrays.toString(g.group(i)));
      b.add(Arrays.toString(other.group(i)));
    }
    assertNotEquals(a, b);
  }

  @Test
  void thousandSitesShortVectors() throws Exception {
    SecAggParams p = new SecAggParams(9, Federation.sites(1000), 5, 32, 8, new byte[32], 8);
    long[][] x = Federation.inputs(p, 1000);
    Map<String, Drop> drops = Federation.randomDrops(p, 50, Drop.AFTER_SHARE, 1);
    AggregateResult r = new Federation(p, 1000).run(x, drops);
    assertEquals(950, r.survivors().size());
    assertEquals(50, r.dropped().size());
    assertArrayEquals(Federation.expectedSum(p, x, r.survivors()), r.sum());
  }

  /**
   * SecAgg+ with the consistency round: group size 9, t = 5. Two sites drop after masking (unsigned)
   * and two after signing; each group keeps at least 9 − 2 ≥ t signers and 9 − 4 ≥ t answering
   * holders, so the sum over all 60 masked inputs is exact. Each site counts only signatures from
   * its own group, which this checks with the graph's real groups.
   */
  @Test
  void sparseGraphWithDropsAfterMaskingAndAfterSigningIsExact() throws Exception {
    byte[] seed = new byte[32];
    seed[0] = 3;
    SecAggParams p = new SecAggParams(11, Federation.sites(60), 5, 32, 8, seed, 8);
    long[][] x = Federation.inputs(p, 60);
    Map<String, Drop> drops = new java.util.HashMap<>(Federation.randomDrops(p, 2, Drop.AFTER_MASK, 5));
    for (var e : Federation.randomDrops(p, 4, Drop.AFTER_CHECK, 6).entrySet()) {
      if (drops.size() < 4 && !drops.containsKey(e.getKey())) {
        drops.put(e.getKey(), e.getValue());
      }
    }
    assertEquals(2, drops.values().stream().filter(d -> d == Drop.AFTER_CHECK).count());
    AggregateResult r = new Federation(p, 60).run(x, drops);
    assertEquals(60, r.survivors().size());
    assertEquals(0, r.dropped().size());
    assertArrayEquals(Federation.expectedSum(p, x, r.survivors()), r.sum());
  }

  /**
   * SecAgg+: a site counts only signatures from its share group. A request for its signed U3 that
   * carries t − 1 group signatures and many from outside the group is refused; in a replay of the
   * round, t group signatures (and no others) are answered.
   */
  @Test
  void signaturesFromOutsideTheShareGroupDoNotCount() throws Exception {
    SecAggParams p = new SecAggParams(12, Federation.sites(20), 3, 32, 4, new byte[32], 4);
    Stage s = new Stage(p, 12).mask().sign();
    NeighbourGraph g = new NeighbourGraph(p);
    int[] group = g.group(0);
    java.util.Set<String> members = new java.util.HashSet<>();
    for (int v : group) {
      members.add(p.participants().get(v));
    }
    List<SurvivorSignature> fewInGroup = new ArrayList<>();
    List<SurvivorSignature> enough = new ArrayList<>();
    int inGroup = 0;
    for (SurvivorSignature sig : s.request.signatures()) {
      if (members.contains(sig.siteId())) {
        if (inGroup < p.threshold() - 1) {
          fewInGroup.add(sig);
        }
        if (inGroup < p.threshold()) {
          enough.add(sig);
        }
        inGroup++;
      } else {
        fewInGroup.add(sig);
      }
    }
    assertEquals(20 - group.length + p.threshold() - 1, fewInGroup.size());
    SecAggException e = org.junit.jupiter.api.Assertions.assertThrows(SecAggException.class,
        () -> s.clients.get("site-0").unmask(new UnmaskRequest(12, s.request.dropped(),
            s.request.survivors(), fewInGroup)));
    assertEquals(SecAggException.Reason.REFUSED, e.reason());
    assertTrue(e.getMessage().contains("carries " + (p.threshold() - 1) + " valid signatures"), e.getMessage());
    Stage replay = new Stage(p, 12).mask().sign();
    UnmaskShares answer = replay.clients.get("site-0").unmask(new UnmaskRequest(12,
        replay.request.dropped(), replay.request.survivors(), enough));
    assertEquals(group.length, answer.shares().size());
  }

  @Tag("heavy")
  @Test
  void thousandSitesRecommendedParametersTenPercentDropout() throws Exception {
    SecAggParams p = SecAggParams.recommended(9, Federation.sites(1000), 32, 8, new byte[32]);
    long[][] x = Federation.inputs(p, 1001);
    Map<String, Drop> drops = Federation.randomDrops(p, 100, Drop.AFTER_ADVERTISE, 1);
    AggregateResult r = new Federation(p, 1001).run(x, drops);
    assertEquals(900, r.survivors().size());
    assertArrayEquals(Federation.expectedSum(p, x, r.survivors()), r.sum());
  }
}
