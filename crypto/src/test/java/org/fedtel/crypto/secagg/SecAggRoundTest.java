package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedtel.crypto.secagg.Federation.Drop;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SecAggRoundTest {
  private static final byte[] GRAPH_SEED = new byte[32];

  /**
   * n ∈ {3, 10, 100} × dropout {0, 10, 30}% × phase. For n = 100 the default run keeps 0 % and
   * 10 % after sharing (the case that needs mask-key recovery); the rest runs with -Pheavy.
   */
  static Stream<Arguments> matrix() {
    List<Arguments> out = new ArrayList<>();
    for (int n : new int[] {3, 10, 100}) {
      out.add(Arguments.of(n, 0, Drop.NEVER));
      for (int pct : new int[] {10, 30}) {
        for (Drop d : new Drop[] {Drop.AFTER_ADVERTISE, Drop.AFTER_SHARE, Drop.AFTER_MASK,
            Drop.AFTER_CHECK}) {
          if (n < 100 || (pct == 10 && d == Drop.AFTER_SHARE)) {
            out.add(Arguments.of(n, pct, d));
          }
        }
      }
    }
    return out.stream();
  }

  static Stream<Arguments> heavyMatrix() {
    List<Arguments> out = new ArrayList<>();
    for (int pct : new int[] {10, 30}) {
      for (Drop d : new Drop[] {Drop.AFTER_ADVERTISE, Drop.AFTER_SHARE, Drop.AFTER_MASK,
          Drop.AFTER_CHECK}) {
        if (pct == 30 || d != Drop.AFTER_SHARE) {
          out.add(Arguments.of(100, pct, d));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "n={0} dropout={1}% {2}")
  @MethodSource("matrix")
  void exactSumUnderDropout(int n, int pct, Drop when) throws Exception {
    check(n, pct, when);
  }

  @Tag("heavy")
  @ParameterizedTest(name = "n={0} dropout={1}% {2}")
  @MethodSource("heavyMatrix")
  void exactSumUnderHeavyDropout(int n, int pct, Drop when) throws Exception {
    check(n, pct, when);
  }

  private static void check(int n, int pct, Drop when) throws Exception {
    SecAggParams p = SecAggParams.recommended(7, Federation.sites(n), 32, 24, GRAPH_SEED);
    long[][] x = Federation.inputs(p, n * 100 + pct);
    int dropped = (int) Math.round(n * pct / 100.0);
    Map<String, Drop> drops = Federation.randomDrops(p, dropped, when, n + pct);
    AggregateResult r = new Federation(p, 42).run(x, drops);
    boolean inSum = when == Drop.AFTER_MASK || when == Drop.AFTER_CHECK;
    int expectSurvivors = inSum ? n : n - dropped;
    assertEquals(expectSurvivors, r.survivors().size());
    for (String id : r.survivors()) {
      Drop d = drops.getOrDefault(id, Drop.NEVER);
      assertEquals(true, d == Drop.NEVER || d == Drop.AFTER_MASK || d == Drop.AFTER_CHECK,
          id + " counted as survivor");
    }
    assertArrayEquals(Federation.expectedSum(p, x, r.survivors()), r.sum());
  }

  @Test
  void dropoutsAtEveryPhaseInOneRound() throws Exception {
    SecAggParams p = SecAggParams.recommended(3, Federation.sites(20), 64, 50, GRAPH_SEED);
    long[][] x = Federation.inputs(p, 5);
    Map<String, Drop> drops = new HashMap<>();
    drops.put("site-1", Drop.BEFORE_ADVERTISE);
    drops.put("site-4", Drop.AFTER_ADVERTISE);
    drops.put("site-7", Drop.AFTER_SHARE);
    drops.put("site-8", Drop.AFTER_SHARE);
    drops.put("site-12", Drop.AFTER_MASK);
    drops.put("site-15", Drop.AFTER_CHECK);
    drops.put("site-16", Drop.AFTER_CHECK);
    AggregateResult r = new Federation(p, 1).run(x, drops);
    assertEquals(List.of("site-7", "site-8"), r.dropped());
    assertEquals(16, r.survivors().size());
    assertEquals(true, r.survivors().containsAll(List.of("site-12", "site-15", "site-16")));
    assertArrayEquals(Federation.expectedSum(p, x, r.survivors()), r.sum());
  }

  @Test
  void smallRingWrapsExactly() throws Exception {
    for (int bits : new int[] {1, 8, 17, 63, 64}) {
      SecAggParams p = SecAggParams.recommended(1, Federation.sites(5), bits, 40, GRAPH_SEED);
      long[][] x = Federation.inputs(p, bits);
      AggregateResult r = new Federation(p, bits).run(x,
          Map.of("site-2", Drop.AFTER_SHARE));
      assertArrayEquals(Federation.expectedSum(p, x, r.survivors()), r.sum(), "k=" + bits);
    }
  }

  @Test
  void belowThresholdFailsWithTypedErrorAtEachPhase() throws Exception {
    SecAggParams p = SecAggParams.recommended(2, Federation.sites(10), 32, 8, GRAPH_SEED);
    long[][] x = Federation.inputs(p, 2);
    // t = 6: five drops leave 5 < 6 at the phase where they drop.
    for (Drop d : new Drop[] {Drop.BEFORE_ADVERTISE, Drop.AFTER_ADVERTISE, Drop.AFTER_SHARE}) {
      Map<String, Drop> drops = Federation.randomDrops(p, 5, d, 9);
      SecAggException e = assertThrows(SecAggException.class,
          () -> new Federation(p, 3).run(x, drops), d.name());
      assertEquals(SecAggException.Reason.TOO_FEW_SURVIVORS, e.reason(), e.getMessage());
    }
    // After masking: inputs are all in, but only 5 sites sign U3: no unmask request can be made.
    Map<String, Drop> drops = Federation.randomDrops(p, 5, Drop.AFTER_MASK, 9);
    SecAggException e = assertThrows(SecAggException.class,
        () -> new Federation(p, 3).run(x, drops));
    assertEquals(SecAggException.Reason.TOO_FEW_SURVIVORS, e.reason(), e.getMessage());
    assertEquals(true, e.getMessage().contains("5 sites sent consistency signatures"), e.getMessage());
    // After signing: all ten signed, but only 5 reveal shares: the sum cannot be unmasked.
    Map<String, Drop> late = Federation.randomDrops(p, 5, Drop.AFTER_CHECK, 9);
    SecAggException l = assertThrows(SecAggException.class, () -> new Federation(p, 3).run(x, late));
    assertEquals(SecAggException.Reason.TOO_FEW_SURVIVORS, l.reason(), l.getMessage());
  }

  @Test
  void sameSeedSameMessagesDifferentSeedDifferentMasks() throws Exception {
    SecAggParams p = SecAggParams.recommended(4, Federation.sites(4), 64, 16, GRAPH_SEED);
    long[][] x = Federation.inputs(p, 11);
    long[] a = firstMaskedInput(p, x, 100);
    long[] b = firstMaskedInput(p, x, 100);
    long[] c = firstMaskedInput(p, x, 101);
    assertArrayEquals(a, b);
    assertEquals(false, java.util.Arrays.equals(a, c));
    assertEquals(false, java.util.Arrays.equals(a, x[0]), "masked input equals the plain input");
  }

  private static long[] firstMaskedInput(SecAggParams p, long[][] x, long seed) throws Exception {
    Federation f = new Federation(p, seed);
    SecAggServer server = new SecAggServer(p, f.peerKeys);
    List<SecAggClient> cs = new ArrayList<>();
    for (String id : p.participants()) {
      SecAggClient c = f.client(id);
      cs.add(c);
      server.receiveAdvertisement(id, new byte[0], c.advertiseKeys());
    }
    KeyList keys = server.keyList();
    for (int i = 0; i < cs.size(); i++) {
      server.receiveShares(p.participants().get(i), cs.get(i).shareKeys(keys));
    }
    Map<String, EncryptedShares> routed = server.routedShares();
    return cs.get(0).maskedInput(routed.get("site-0"), x[0]).values();
  }
}
