package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedtel.crypto.secagg.SecAggException.Reason;
import org.junit.jupiter.api.Test;

/** A server that lies about who dropped must not learn a live site's input. */
class MaliciousServerTest {

  @Test
  void askingForBothSharesOfALiveSiteIsRefused() throws Exception {
    Stage s = new Stage(5, 1, 1).mask().sign();
    List<String> all = s.ids();
    UnmaskRequest both = new UnmaskRequest(1, List.of("site-3"), all, s.request.signatures());
    SecAggException e = assertThrows(SecAggException.class, () -> s.clients.get("site-0").unmask(both));
    assertEquals(Reason.REFUSED, e.reason());
    // The refusal ends the round for that site: even a well-formed request is refused afterwards.
    SecAggException again = assertThrows(SecAggException.class,
        () -> s.clients.get("site-0").unmask(s.request));
    assertEquals(Reason.REFUSED, again.reason());
  }

  @Test
  void aSecondRequestIsRefusedAfterAnAnswer() throws Exception {
    Stage s = new Stage(5, 1, 2).mask().sign();
    SecAggClient c = s.clients.get("site-1");
    c.unmask(s.request);
    List<String> others = new ArrayList<>(s.ids());
    others.remove("site-4");
    UnmaskRequest claimDropped = new UnmaskRequest(1, List.of("site-4"), others, s.request.signatures());
    SecAggException e = assertThrows(SecAggException.class, () -> c.unmask(claimDropped));
    assertEquals(Reason.REFUSED, e.reason());
  }

  @Test
  void aSiteToldItDroppedRefuses() throws Exception {
    Stage s = new Stage(5, 1, 3).mask().sign();
    List<String> others = new ArrayList<>(s.ids());
    others.remove("site-2");
    SecAggException e = assertThrows(SecAggException.class, () -> s.clients.get("site-2").unmask(
        new UnmaskRequest(1, List.of("site-2"), others, s.request.signatures())));
    assertEquals(Reason.REFUSED, e.reason());
  }

  /**
   * What must hold is that no individual input is recoverable. Here the server splits the view of
   * one site: it shows every subset S of the other sites a survivor list without the victim and
   * the rest the full list (its peers survive in every list, so their mask keys are never
   * revealed), collects the signatures and asks every site to unmask for the list it was shown,
   * with every signature it holds over that list. Each site signs and answers once, so with t a
   * strict majority of the group the server never holds t shares of both the victim's s_sk and
   * its b, and the victim's input stays hidden. Splits over the sites the victim masked with are
   * {@link #splitViewOverPeersNoLongerRecoversAnInput}.
   */
  @Test
  void splitViewsOnOneSiteNeverRecoverItsInput() throws Exception {
    int n = 7;
    String victim = "site-0";
    int reconstructedSeeds = 0;
    int reconstructedKeys = 0;
    for (int subset = 0; subset < (1 << (n - 1)); subset++) {
      Stage s = new Stage(n, 1, 100 + subset).mask();
      List<String> all = s.ids();
      List<String> others = new ArrayList<>(all);
      others.remove(victim);
      Adversary server = new Adversary(s);
      List<List<String>> shown = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        boolean toldDropped = i > 0 && (subset & (1 << (i - 1))) != 0;
        shown.add(toldDropped ? others : all);
        server.show("site-" + i, shown.get(i));
      }
      for (int i = 0; i < n; i++) {
        server.ask("site-" + i, server.request("site-" + i, shown.get(i)));
      }
      assertNull(server.input(victim, others), "subset " + subset + ": input of " + victim
          + " recovered");
      if (server.secret(victim, ShareKind.SELF_MASK) != null) {
        reconstructedSeeds++;
      }
      if (server.secret(victim, ShareKind.MASK_KEY) != null) {
        reconstructedKeys++;
      }
    }
    // Control: where few sites were lied to the seed shares reconstruct, and where most were the
    // mask-key shares do (each half of the check can succeed).
    assertTrue(reconstructedSeeds > 0);
    assertTrue(reconstructedKeys > 0);
  }

  /**
   * The server routes the victim the shares of site-1 and site-2 only, so the victim masks with
   * those two, then shows the list "0, 3 and 4 survived". Unmasked, that would reveal the victim's
   * b and the mask keys of 1 and 2, i.e. its input. The victim holds no shares of 3 and 4 and
   * refuses to sign (Bonawitz et al., Fig. 4: U3 ⊆ U2 as it saw U2, |U3| ≥ t); sites 3 and 4 sign
   * but then hold two signatures, fewer than t, and refuse to unmask.
   */
  @Test
  void survivorsOutsideTheSitesOwnU2AreRefused() throws Exception {
    Stage s = victimMaskingWithSites1And2(11);
    List<String> attack = List.of("site-0", "site-3", "site-4");
    Adversary server = new Adversary(s);
    SecAggException e = server.show("site-0", attack);
    assertEquals(Reason.REFUSED, e.reason());
    assertTrue(e.getMessage().contains("'site-3' as surviving"), e.getMessage());
    assertNull(server.show("site-3", attack));
    assertNull(server.show("site-4", attack));
    assertEquals(2, server.signaturesOver(attack).size());
    for (String holder : List.of("site-3", "site-4")) {
      SecAggException r = server.refusal(holder, server.request(holder, attack));
      assertEquals(Reason.REFUSED, r.reason());
      assertTrue(r.getMessage().contains("carries 2 valid signatures"), r.getMessage());
    }
    SecAggException victim = server.refusal("site-0", server.request("site-0", attack));
    assertEquals(Reason.REFUSED, victim.reason());
    assertNull(server.input("site-0", List.of("site-1", "site-2")));
  }

  /** A dropped site whose shares the victim never received is outside its U2 too. */
  @Test
  void droppedOutsideTheSitesOwnU2IsRefused() throws Exception {
    Stage s = victimMaskingWithSites1And2(12);
    List<String> u3 = List.of("site-0", "site-1", "site-2");
    Adversary server = new Adversary(s);
    for (String id : u3) {
      assertNull(server.show(id, u3));
    }
    UnmaskRequest request = new UnmaskRequest(1, List.of("site-3"), u3, server.signaturesOver(u3));
    SecAggException e = assertThrows(SecAggException.class,
        () -> s.clients.get("site-0").unmask(request));
    assertEquals(Reason.REFUSED, e.reason());
    assertTrue(e.getMessage().contains("'site-3' as dropped"), e.getMessage());
  }

  /** Control: a signed list that stays inside the victim's U2 with t survivors is answered. */
  @Test
  void requestInsideTheSitesOwnU2IsAnswered() throws Exception {
    Stage s = victimMaskingWithSites1And2(13);
    List<String> u3 = List.of("site-0", "site-1", "site-2");
    Adversary server = new Adversary(s);
    for (String id : u3) {
      assertNull(server.show(id, u3));
    }
    UnmaskShares answer = s.clients.get("site-0").unmask(
        new UnmaskRequest(1, List.of(), u3, server.signaturesOver(u3)));
    assertEquals(3, answer.shares().size());
    for (RevealedShare r : answer.shares()) {
      assertEquals(ShareKind.SELF_MASK, r.kind());
    }
  }

  /**
   * The split view that recovered an input before the consistency round (docs/CRYPTO.md §6): the
   * victim site-0 masks with site-1 and site-2 only (n = 5, t = 3) and the server shows different
   * sites different survivor lists, e.g. the victim "0, 1, 2", site-1 "0, 1, 3, 4", site-2
   * "0, 2, 3, 4", sites 3 and 4 "0, 3, 4". Now each honest site signs at most one list and unmasks
   * only for the list it signed, carrying t valid signatures over it, so the split no longer pays.
   *
   * <p>Checked for every assignment of a shown list (any of the 32 subsets of the five sites, or
   * none) to each site: 33^5 assignments. A site's answer depends only on the list it was shown
   * and on the signatures the server holds over that list, which come exactly from the sites
   * shown the same list; the best request for it carries all of them and lists as dropped the
   * sites it holds shares of that are not in its list (anything else is refused by the checks in
   * {@link ConsistencyCheckTest}). So an assignment is a set of blocks (list L, sites S shown L),
   * and what the server learns is the union of what each block reveals. Each of the 32 × 31
   * blocks is run for real on a replay of the same round (same seed, so the same secrets and
   * shares; the test checks that every replay reveals identical share bytes), then every
   * assignment's union is formed and each distinct union is handed to {@link Adversary#input}.
   */
  @Test
  void splitViewOverPeersNoLongerRecoversAnInput() throws Exception {
    SplitViews views = new SplitViews(14);
    long[][] blocks = views.blocks;
    LongSet unions = new LongSet();
    int none = 32;
    int[] d = new int[5];
    for (d[0] = 0; d[0] <= none; d[0]++) {
      for (d[1] = 0; d[1] <= none; d[1]++) {
        for (d[2] = 0; d[2] <= none; d[2]++) {
          for (d[3] = 0; d[3] <= none; d[3]++) {
            for (d[4] = 0; d[4] <= none; d[4]++) {
              long u = 0;
              for (int i = 0; i < 5; i++) {
                if (d[i] == none) {
                  continue;
                }
                int shownSame = 0;
                for (int j = 0; j < 5; j++) {
                  if (d[j] == d[i]) {
                    shownSame |= 1 << j;
                  }
                }
                u |= blocks[d[i]][shownSame];
              }
              unions.add(u);
            }
          }
        }
      }
    }
    int seeds = 0;
    int ownKeys = 0;
    int peerKeys = 0;
    for (long u : unions.values()) {
      Adversary server = views.adversaryHolding(u);
      assertNull(server.input("site-0", List.of("site-1", "site-2")),
          "input of site-0 recovered from revealed shares " + Long.toHexString(u));
      seeds += server.secret("site-0", ShareKind.SELF_MASK) != null ? 1 : 0;
      ownKeys += server.secret("site-0", ShareKind.MASK_KEY) != null ? 1 : 0;
      peerKeys += server.secret("site-1", ShareKind.MASK_KEY) != null
          || server.secret("site-2", ShareKind.MASK_KEY) != null ? 1 : 0;
    }
    // Control: each piece the attack needs is obtainable in some assignment, just never together.
    assertTrue(seeds > 0 && ownKeys > 0 && peerKeys > 0,
        seeds + " " + ownKeys + " " + peerKeys + " of " + unions.size());
  }

  /**
   * Positive control for the test above: two of its blocks, each a list signed by t sites, give
   * the server the shares it asked for (the victim's b from "0, 1, 2", its s_sk from "2, 3, 4"),
   * and together they give the victim's input. Only one of them can happen in a round: site-2,
   * having signed "0, 1, 2", refuses to sign "2, 3, 4", and with two signatures sites 3 and 4
   * refuse to unmask.
   */
  @Test
  void twoListsSignedByTheSameSiteWouldRecoverTheInput() throws Exception {
    List<String> a = List.of("site-0", "site-1", "site-2");
    List<String> b = List.of("site-2", "site-3", "site-4");
    Stage first = victimMaskingWithSites1And2(14);
    Adversary one = new Adversary(first);
    for (String id : a) {
      assertNull(one.show(id, a));
    }
    for (String id : a) {
      assertTrue(one.ask(id, one.request(id, a)));
    }
    assertNotNull(one.secret("site-0", ShareKind.SELF_MASK));
    assertNull(one.input("site-0", List.of("site-1", "site-2")));
    Stage replay = victimMaskingWithSites1And2(14);
    Adversary two = new Adversary(replay);
    for (String id : b) {
      assertNull(two.show(id, b));
    }
    for (String id : b) {
      assertTrue(two.ask(id, two.request(id, b)));
    }
    assertNotNull(two.secret("site-0", ShareKind.MASK_KEY));
    assertNull(two.input("site-0", List.of("site-1", "site-2")));
    for (String holder : b) {
      for (ShareKind kind : ShareKind.values()) {
        byte[] share = two.share("site-0", kind, holder);
        if (share != null) {
          one.keep(holder, new UnmaskShares(1, List.of(new RevealedShare("site-0", kind, share))));
        }
      }
    }
    assertArrayEquals(first.inputs[0], one.input("site-0", List.of("site-1", "site-2")));
    // In one round, site-2 signs only one of the two lists (before unmasking anything), so the
    // second list has two signatures and is not unmasked.
    Adversary three = new Adversary(victimMaskingWithSites1And2(14));
    for (String id : a) {
      assertNull(three.show(id, a));
    }
    SecAggException twice = three.show("site-2", b);
    assertEquals(Reason.REFUSED, twice.reason());
    assertTrue(twice.getMessage().contains("already signed"), twice.getMessage());
    assertNull(three.show("site-3", b));
    assertNull(three.show("site-4", b));
    assertEquals(2, three.signaturesOver(b).size());
    assertEquals(Reason.REFUSED, three.refusal("site-3", three.request("site-3", b)).reason());
    assertEquals(Reason.REFUSED, three.refusal("site-2", three.request("site-2", b)).reason());
  }

  /**
   * Every block (survivor list L, sites S shown L) of {@link #splitViewOverPeersNoLongerRecoversAnInput}
   * run on a replay of the victim round: which holders revealed which secret's share, as 5-bit
   * holder masks packed per (owner, kind) into a long, and the share bytes.
   */
  private static final class SplitViews {
    final long[][] blocks = new long[33][32];
    private final byte[][][] store = new byte[10][5][];
    private final Stage base;

    SplitViews(long seed) throws SecAggException {
      base = victimMaskingWithSites1And2(seed);
      for (int list = 0; list < 32; list++) {
        List<String> shown = sites(list);
        for (int set = 1; set < 32; set++) {
          Stage s = victimMaskingWithSites1And2(seed);
          Adversary server = new Adversary(s);
          for (String id : sites(set)) {
            server.show(id, shown);
          }
          for (String id : sites(set)) {
            server.ask(id, server.request(id, shown));
          }
          assertNull(server.input("site-0", List.of("site-1", "site-2")), list + "/" + set);
          blocks[list][set] = pack(server);
        }
      }
    }

    private long pack(Adversary server) {
      long packed = 0;
      for (int owner = 0; owner < 5; owner++) {
        for (ShareKind kind : ShareKind.values()) {
          int slot = 2 * owner + kind.ordinal();
          int holders = server.holders("site-" + owner, kind);
          for (int h = 0; h < 5; h++) {
            if ((holders & (1 << h)) != 0) {
              byte[] share = server.share("site-" + owner, kind, "site-" + h);
              if (store[slot][h] == null) {
                store[slot][h] = share;
              } else {
                assertArrayEquals(store[slot][h], share, "replays differ: the blocks cannot be combined");
              }
            }
          }
          packed |= (long) holders << (5 * slot);
        }
      }
      return packed;
    }

    Adversary adversaryHolding(long packed) {
      Adversary server = new Adversary(base);
      for (int slot = 0; slot < 10; slot++) {
        for (int h = 0; h < 5; h++) {
          if ((packed & (1L << (5 * slot + h))) != 0) {
            server.keep("site-" + h, new UnmaskShares(1, List.of(new RevealedShare(
                "site-" + slot / 2, ShareKind.values()[slot % 2], store[slot][h]))));
          }
        }
      }
      return server;
    }

    private static List<String> sites(int mask) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        if ((mask & (1 << i)) != 0) {
          out.add("site-" + i);
        }
      }
      return out;
    }
  }

  /** A set of longs (open addressing) for the 33^5 unions, which repeat a great deal. */
  private static final class LongSet {
    private long[] table = new long[1 << 12];
    private boolean[] used = new boolean[1 << 12];
    private int size;

    void add(long v) {
      int mask = table.length - 1;
      int i = (int) ((v ^ (v >>> 29) ^ (v >>> 47)) * 0x9E3779B97F4A7C15L >>> 40) & mask;
      while (used[i]) {
        if (table[i] == v) {
          return;
        }
        i = (i + 1) & mask;
      }
      used[i] = true;
      table[i] = v;
      if (++size * 2 > table.length) {
        long[] old = values();
        table = new long[table.length * 2];
        used = new boolean[table.length];
        size = 0;
        for (long x : old) {
          add(x);
        }
      }
    }

    long[] values() {
      long[] out = new long[size];
      int k = 0;
      for (int i = 0; i < table.length; i++) {
        if (used[i]) {
          out[k++] = table[i];
        }
      }
      return out;
    }

    int size() {
      return size;
    }
  }

  /**
   * A coordinator that runs the same round number more than once (it can: a site that reconnects
   * gets a fresh session) harvests consistency signatures in earlier runs over lists of its choice,
   * then relays them in a later run so that every list of its split view carries t signatures
   * (found in review; before the fix this recovered the victim's input). The signed transcript holds
   * the digest of the run's key list, whose keys are fresh in every run, so no harvested signature
   * verifies, the sites refuse, and the input stays hidden.
   */
  @Test
  void signaturesHarvestedInAnotherRunOfTheSameRoundDoNotVerify() throws Exception {
    Stage s = victimMaskingWithSites1And2(14);
    List<String> a = List.of("site-0", "site-1", "site-2");
    List<String> b = List.of("site-0", "site-1", "site-3", "site-4");
    List<String> c = List.of("site-0", "site-2", "site-3", "site-4");
    List<String> d = List.of("site-0", "site-3", "site-4");
    Map<List<String>, Map<String, byte[]>> harvested = new LinkedHashMap<>();
    harvest(s, 1001, Map.of("site-1", a, "site-2", a, "site-3", b, "site-4", b, "site-0", d), harvested);
    harvest(s, 1002, Map.of("site-3", c, "site-4", c), harvested);
    Map<String, List<String>> shown = Map.of("site-0", a, "site-1", b, "site-2", c, "site-3", d, "site-4", d);
    Adversary server = new Adversary(s);
    for (var e : shown.entrySet()) {
      assertNull(server.show(e.getKey(), e.getValue()), e.getKey() + " signs the list it is shown");
    }
    int refused = 0;
    for (var e : shown.entrySet()) {
      List<String> list = e.getValue();
      List<SurvivorSignature> relay = new ArrayList<>(server.signaturesOver(list));
      for (var h : harvested.getOrDefault(list, Map.of()).entrySet()) {
        relay.add(new SurvivorSignature(h.getKey(), h.getValue()));
      }
      UnmaskRequest honestShape = server.request(e.getKey(), list);
      SecAggException r = server.refusal(e.getKey(),
          new UnmaskRequest(honestShape.round(), honestShape.dropped(), list, relay));
      if (r != null) {
        refused++;
        assertTrue(r.reason() == Reason.BAD_SIGNATURE || r.reason() == Reason.DUPLICATE_SITE
            || r.reason() == Reason.REFUSED, e.getKey() + ": " + r);
      }
    }
    assertEquals(5, refused, "every site refuses a request that relies on signatures from another run");
    assertNull(server.input("site-0", List.of("site-1", "site-2")));
    // The harvested signatures are real ones, over the same round and list: only the run differs.
    assertTrue(harvested.get(d).size() == 1 && harvested.get(b).size() == 2 && harvested.get(a).size() == 2);
  }

  /**
   * Another run of round 1 with the same sites and signing keys (fresh per-run randomness, as after
   * a reconnect), aborted after the sites signed the lists {@code show} gives them.
   */
  private static void harvest(Stage attack, long seed, Map<String, List<String>> show,
      Map<List<String>, Map<String, byte[]>> out) throws SecAggException {
    SecAggParams p = attack.params;
    SecAggServer server = new SecAggServer(p, attack.federation.peerKeys);
    Map<String, SecAggClient> clients = new LinkedHashMap<>();
    for (String id : p.participants()) {
      SecAggClient cl = new SecAggClient(p, id, attack.federation.signing.get(id), attack.federation.peerKeys,
          Federation.seeded(seed, "client:" + id));
      clients.put(id, cl);
      server.receiveAdvertisement(id, new byte[0], cl.advertiseKeys());
    }
    KeyList keys = server.keyList();
    for (var e : clients.entrySet()) {
      server.receiveShares(e.getKey(), e.getValue().shareKeys(keys));
    }
    Map<String, EncryptedShares> routed = server.routedShares();
    long[][] inputs = Federation.inputs(p, seed);
    int i = 0;
    for (var e : clients.entrySet()) {
      e.getValue().maskedInput(routed.get(e.getKey()), inputs[i++]);
    }
    for (var e : show.entrySet()) {
      ConsistencySignature sig = clients.get(e.getKey()).consistencySignature(new ConsistencyCheck(p.round(), e.getValue()));
      out.computeIfAbsent(e.getValue(), k -> new LinkedHashMap<>()).put(e.getKey(), sig.signature());
    }
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
    Stage s = new Stage(7, 1, 5).mask().sign();
    for (var e : s.clients.entrySet()) {
      s.server.receiveUnmaskShares(e.getKey(), e.getValue().unmask(s.request));
    }
    AggregateResult r = s.server.aggregate();
    assertArrayEquals(Federation.expectedSum(s.params, s.inputs, s.ids()), r.sum());
  }
}
