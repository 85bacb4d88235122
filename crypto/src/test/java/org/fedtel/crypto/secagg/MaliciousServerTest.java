package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
   * What must hold is that no individual input is recoverable. Here the server splits the view of
   * one site: it tells every subset S of the other sites that the victim dropped and the rest that
   * it survived (its peers survive in every request, so their mask keys are never revealed). Each
   * site answers once, so with t a strict majority of the group the server never holds t shares of
   * both the victim's s_sk and its b, and the victim's input stays hidden. This covers splits on
   * the victim's own status only: a split over the sites it masked with does recover its input
   * ({@link #knownGapSplitViewOverPeersRecoversAnInput}).
   */
  @Test
  void splitViewsOnOneSiteNeverRecoverItsInput() throws Exception {
    int n = 7;
    String victim = "site-0";
    int reconstructedSeeds = 0;
    for (int subset = 0; subset < (1 << (n - 1)); subset++) {
      Stage s = new Stage(n, 1, 100 + subset).mask();
      List<String> others = new ArrayList<>(s.ids());
      others.remove(victim);
      UnmaskRequest claimDropped = new UnmaskRequest(1, List.of(victim), others);
      Adversary server = new Adversary(s);
      for (int i = 0; i < n; i++) {
        boolean toldDropped = i > 0 && (subset & (1 << (i - 1))) != 0;
        server.ask("site-" + i, toldDropped ? claimDropped : s.request);
      }
      assertNull(server.input(victim, others), "subset " + subset + ": input of " + victim
          + " recovered");
      if (server.secret(victim, ShareKind.SELF_MASK) != null) {
        reconstructedSeeds++;
      }
    }
    // Control: where few sites were lied to, the seed shares do reconstruct (the check can succeed).
    assertTrue(reconstructedSeeds > 0);
  }

  /**
   * The server routes the victim the shares of site-1 and site-2 only, so the victim masks with
   * those two, then tells every survivor "1 and 2 dropped, 0, 3 and 4 survived". Answered by all,
   * that reveals the victim's b and the mask keys of 1 and 2, i.e. its input. The victim holds no
   * shares of 3 and 4 and must refuse (Bonawitz et al., Fig. 4: U3 ⊆ U2 as it saw U2, |U3| ≥ t).
   */
  @Test
  void survivorsOutsideTheSitesOwnU2AreRefused() throws Exception {
    Stage s = victimMaskingWithSites1And2(11);
    UnmaskRequest attack = new UnmaskRequest(1, List.of("site-1", "site-2"),
        List.of("site-0", "site-3", "site-4"));
    SecAggException e = assertThrows(SecAggException.class,
        () -> s.clients.get("site-0").unmask(attack));
    assertEquals(Reason.REFUSED, e.reason());
    assertTrue(e.getMessage().contains("'site-3' as surviving"), e.getMessage());
    Adversary server = new Adversary(s);
    assertTrue(server.ask("site-3", attack));
    assertTrue(server.ask("site-4", attack));
    assertNull(server.input("site-0", List.of("site-1", "site-2")));
  }

  /** A dropped site whose shares the victim never received is outside its U2 too. */
  @Test
  void droppedOutsideTheSitesOwnU2IsRefused() throws Exception {
    Stage s = victimMaskingWithSites1And2(12);
    UnmaskRequest request = new UnmaskRequest(1, List.of("site-3"),
        List.of("site-0", "site-1", "site-2"));
    SecAggException e = assertThrows(SecAggException.class,
        () -> s.clients.get("site-0").unmask(request));
    assertEquals(Reason.REFUSED, e.reason());
    assertTrue(e.getMessage().contains("'site-3' as dropped"), e.getMessage());
  }

  /** Control: a request that stays inside the victim's U2 with t survivors is answered. */
  @Test
  void requestInsideTheSitesOwnU2IsAnswered() throws Exception {
    Stage s = victimMaskingWithSites1And2(13);
    UnmaskShares answer = s.clients.get("site-0").unmask(
        new UnmaskRequest(1, List.of(), List.of("site-0", "site-1", "site-2")));
    assertEquals(3, answer.shares().size());
    for (RevealedShare r : answer.shares()) {
      assertEquals(ShareKind.SELF_MASK, r.kind());
    }
  }

  /**
   * KNOWN GAP (docs/CRYPTO.md §6, §7.1): without the paper's ConsistencyCheck round (each survivor
   * signs U3 and unmasks only after t valid signatures over the same U3), a server that shows
   * different sites different survivor lists recovers an individual input, although every
   * request passes each site's own checks. The victim masks with site-1 and site-2 only and is
   * told both survived; site-1 is told site-2 dropped, site-2 that site-1 dropped, site-3 and
   * site-4 that both dropped. This test asserts that the attack works today; when the
   * consistency round lands it must be inverted to assert that the input is not recovered.
   */
  @Test
  void knownGapSplitViewOverPeersRecoversAnInput() throws Exception {
    Stage s = victimMaskingWithSites1And2(14);
    Adversary server = new Adversary(s);
    UnmaskRequest oneAndTwoDropped = new UnmaskRequest(1, List.of("site-1", "site-2"),
        List.of("site-0", "site-3", "site-4"));
    assertTrue(server.ask("site-0", new UnmaskRequest(1, List.of(),
        List.of("site-0", "site-1", "site-2"))));
    assertTrue(server.ask("site-1", new UnmaskRequest(1, List.of("site-2"),
        List.of("site-0", "site-1", "site-3", "site-4"))));
    assertTrue(server.ask("site-2", new UnmaskRequest(1, List.of("site-1"),
        List.of("site-0", "site-2", "site-3", "site-4"))));
    assertTrue(server.ask("site-3", oneAndTwoDropped));
    assertTrue(server.ask("site-4", oneAndTwoDropped));
    assertArrayEquals(s.inputs[0], server.input("site-0", List.of("site-1", "site-2")));
  }

  /** Five sites, t = 3; the server routes site-0 only the shares of site-1 and site-2. */
  private static Stage victimMaskingWithSites1And2(long seed) throws SecAggException {
    Stage s = new Stage(5, 1, seed).share();
    List<EncryptedShare> kept = new ArrayList<>();
    for (EncryptedShare es : s.routed.get("site-0").shares()) {
      if (es.fromSite().equals("site-1") || es.fromSite().equals("site-2")) {
        kept.add(es);
      }
    }
    assertEquals(2, kept.size());
    s.routed.put("site-0", new EncryptedShares(1, kept));
    return s.maskAsRouted();
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
