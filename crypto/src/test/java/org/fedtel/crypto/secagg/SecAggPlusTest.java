package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
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
