package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fedtel.crypto.secagg.SecAggException.Reason;
import org.junit.jupiter.api.Test;

/** A server that lies about who dropped must not learn a live site's input. */
class MaliciousServerTest {

  @Test
  void askingForBothSharesOfALiveSiteIsRefused() throws Exception {
    Stage s = new Stage(5, 1, 1).mask();
    List<String> all = s.ids();
    UnmaskRequest both = new UnmaskRequest(1, List.of("site-3"), all);
    SecAggException e = assertThrows(SecAggException.class, () -> s.clients.get("site-0").unmask(both));
    assertEquals(Reason.REFUSED, e.reason());
    // The refusal ends the round for that site: even a well-formed request is refused afterwards.
    SecAggException again = assertThrows(SecAggException.class,
        () -> s.clients.get("site-0").unmask(s.request));
    assertEquals(Reason.REFUSED, again.reason());
  }

  @Test
  void aSecondRequestIsRefusedAfterAnAnswer() throws Exception {
    Stage s = new Stage(5, 1, 2).mask();
    SecAggClient c = s.clients.get("site-1");
    c.unmask(s.request);
    List<String> others = new ArrayList<>(s.ids());
    others.remove("site-4");
    UnmaskRequest claimDropped = new UnmaskRequest(1, List.of("site-4"), others);
    SecAggException e = assertThrows(SecAggException.class, () -> c.unmask(claimDropped));
    assertEquals(Reason.REFUSED, e.reason());
  }

  @Test
  void aSiteToldItDroppedRefuses() throws Exception {
    Stage s = new Stage(5, 1, 3).mask();
    List<String> others = new ArrayList<>(s.ids());
    others.remove("site-2");
    SecAggException e = assertThrows(SecAggException.class,
        () -> s.clients.get("site-2").unmask(new UnmaskRequest(1, List.of("site-2"), others)));
    assertEquals(Reason.REFUSED, e.reason());
  }

  /**
   * The server tells every subset S of the other sites that the victim dropped and the rest that it
   * survived. Each site answers once, so with t a strict majority of the group the server never
   * holds t shares of both the victim's mask key and its self-mask seed.
   */
  @Test
  void splitViewsNeverYieldBothSecrets() throws Exception {
    int n = 7;
    String victim = "site-0";
    int reconstructedSeeds = 0;
    for (int subset = 0; subset < (1 << (n - 1)); subset++) {
      Stage s = new Stage(n, 1, 100 + subset).mask();
      List<String> others = new ArrayList<>(s.ids());
      others.remove(victim);
      UnmaskRequest claimDropped = new UnmaskRequest(1, List.of(victim), others);
      List<Integer> keyPoints = new ArrayList<>();
      List<byte[]> keyShares = new ArrayList<>();
      List<Integer> seedPoints = new ArrayList<>();
      List<byte[]> seedShares = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String id = "site-" + i;
        boolean toldDropped = i > 0 && (subset & (1 << (i - 1))) != 0;
        UnmaskShares answer;
        try {
          answer = s.clients.get(id).unmask(toldDropped ? claimDropped : s.request);
        } catch (SecAggException refused) {
          continue;
        }
        for (RevealedShare r : answer.shares()) {
          if (r.ownerSite().equals(victim)) {
            (r.kind() == ShareKind.MASK_KEY ? keyPoints : seedPoints).add(i + 1);
            (r.kind() == ShareKind.MASK_KEY ? keyShares : seedShares).add(r.share());
          }
        }
      }
      boolean key = tryReconstruct(keyPoints, keyShares, s.params.threshold());
      boolean seed = tryReconstruct(seedPoints, seedShares, s.params.threshold());
      assertTrue(!(key && seed), "subset " + subset + ": server obtained both secrets of " + victim);
      if (seed) {
        reconstructedSeeds++;
      }
    }
    // Control: where few sites were lied to, the seed shares do reconstruct (the check can succeed).
    assertTrue(reconstructedSeeds > 0);
  }

  private static boolean tryReconstruct(List<Integer> points, List<byte[]> shares, int t) {
    int[] xs = points.stream().mapToInt(Integer::intValue).toArray();
    try {
      Shamir.reconstruct(xs, shares.toArray(new byte[0][]), t, "victim");
      return true;
    } catch (SecAggException e) {
      assertEquals(Reason.TOO_FEW_SURVIVORS, e.reason());
      return false;
    }
  }

  @Test
  void thresholdAtOrBelowHalfTheGroupIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SecAggParams(1, Federation.sites(10), 5, 32, 0, new byte[32], 4));
    assertTrue(e.getMessage().contains("must exceed half"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new SecAggParams(1, Federation.sites(100), 5, 32, 10, new byte[32], 4));
    assertThrows(IllegalArgumentException.class,
        () -> new SecAggParams(1, Federation.sites(100), 12, 32, 10, new byte[32], 4));
    assertThrows(IllegalArgumentException.class,
        () -> new SecAggParams(1, Federation.sites(100), 6, 32, 9, new byte[32], 4));
    assertThrows(IllegalArgumentException.class,
        () -> new SecAggParams(1, Federation.sites(9), 6, 32, 8, new byte[32], 4));
    // Accepted at the boundary: t = 6 of a group of 11.
    new SecAggParams(1, Federation.sites(100), 6, 32, 10, new byte[32], 4);
  }

  /** The coordinator (the server) cannot enrol itself to receive shares of the sites' secrets. */
  @Test
  void theCoordinatorIsNotAParticipant() {
    List<String> ids = new ArrayList<>(Federation.sites(4));
    ids.add(org.fedtel.crypto.ConsortiumCa.COORDINATOR_ID);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SecAggParams.recommended(1, ids, 32, 3, new byte[32]));
    assertTrue(e.getMessage().contains("'coordinator' is reserved"), e.getMessage());
    // Control: the same list without the coordinator is accepted.
    ids.remove(org.fedtel.crypto.ConsortiumCa.COORDINATOR_ID);
    assertEquals(4, SecAggParams.recommended(1, ids, 32, 3, new byte[32]).participants().size());
  }

  @Test
  void honestRequestSumIsExactControl() throws Exception {
    Stage s = new Stage(7, 1, 5).mask();
    for (var e : s.clients.entrySet()) {
      s.server.receiveUnmaskShares(e.getKey(), e.getValue().unmask(s.request));
    }
    AggregateResult r = s.server.aggregate();
    assertArrayEquals(Federation.expectedSum(s.params, s.inputs, s.ids()), r.sum());
  }
}
