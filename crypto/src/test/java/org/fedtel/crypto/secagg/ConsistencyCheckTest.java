package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.secagg.SecAggException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Round 3 of Bonawitz et al. (CCS 2017, Fig. 4), ConsistencyCheck: what a site signs, when it
 * refuses, what an unmask request must carry, and what the server accepts. Five sites, t = 3,
 * round 1 unless stated; every refusal is checked for its reason and a message fragment.
 */
class ConsistencyCheckTest {
  private static final long R = 1;
  private static final List<String> ALL = Federation.sites(5);

  private static SecAggException expect(Reason reason, String fragment, Executable call) {
    SecAggException e = assertThrows(SecAggException.class, call);
    assertEquals(reason, e.reason(), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' not in: " + e.getMessage());
    return e;
  }

  private static ConsistencyCheck check(List<String> survivors) {
    return new ConsistencyCheck(R, survivors);
  }

  private static byte[] flip(byte[] b, int i) {
    byte[] c = b.clone();
    c[i] ^= 1;
    return c;
  }

  /** What a site of {@code s} signs for {@code survivors} in {@code round}, with the key list it received. */
  static byte[] transcript(Stage s, long round, boolean[] survivors) {
    int n = s.params.participants().size();
    byte[][] cipher = new byte[n][];
    byte[][] mask = new byte[n][];
    for (SiteKeys k : s.keys.sites()) {
      int v = s.params.participants().indexOf(k.siteId());
      cipher[v] = k.cipherPublicKey();
      mask[v] = k.maskPublicKey();
    }
    return SecAggClient.consistencyTranscript(round, SecAggClient.keyListDigest(s.params.participants(), cipher, mask),
        s.params.participants(), survivors);
  }

  private static List<String> without(List<String> ids, String... out) {
    List<String> l = new ArrayList<>(ids);
    l.removeAll(List.of(out));
    return l;
  }

  /** After a refusal that ends the step, even the honest list is refused: the site never signs. */
  private static void neverSignsAfterwards(SecAggClient c) {
    expect(Reason.REFUSED, "already signed or refused", () -> c.consistencySignature(check(ALL)));
  }

  // ---- the consistency check at a site

  @Test
  void signatureCoversTheRoundAndTheListAsASet() throws Exception {
    Stage s = new Stage(5, R, 1).mask();
    // Listed out of participant order: the site signs U3 as a set, in participant order.
    List<String> shuffled = List.of("site-3", "site-0", "site-4", "site-2", "site-1");
    ConsistencySignature sig = s.clients.get("site-2").consistencySignature(check(shuffled));
    assertEquals(R, sig.round());
    boolean[] all = {true, true, true, true, true};
    s.federation.signing.get("site-2").verifyingKey()
        .verify(transcript(s, R, all), sig.signature());
    boolean[] four = {true, true, true, true, false};
    assertThrows(java.security.SignatureException.class, () -> s.federation.signing.get("site-2")
        .verifyingKey().verify(transcript(s, R, four), sig.signature()));
    assertThrows(java.security.SignatureException.class, () -> s.federation.signing.get("site-2")
        .verifyingKey().verify(transcript(s, R + 1, all), sig.signature()));
  }

  @Test
  void checkForAnotherRoundIsRefusedAndLeavesTheStepOpen() throws Exception {
    Stage s = new Stage(5, R, 2).mask();
    SecAggClient c = s.clients.get("site-0");
    expect(Reason.WRONG_ROUND, "belongs to round 2, this is round 1",
        () -> c.consistencySignature(new ConsistencyCheck(R + 1, ALL)));
    c.consistencySignature(check(ALL)); // control: not consumed by a message of another round
  }

  @Test
  void checkBeforeMaskingIsOutOfPhase() throws Exception {
    Stage s = new Stage(5, R, 3).share();
    SecAggClient c = s.clients.get("site-0");
    expect(Reason.OUT_OF_PHASE, "consistency check arrived while the site is in phase SHARED",
        () -> c.consistencySignature(check(ALL)));
    c.maskedInput(s.routed.get("site-0"), s.inputs[0]);
    c.consistencySignature(check(ALL)); // control: signs once masked
  }

  @Test
  void checkListingAStrangerIsRefused() throws Exception {
    Stage s = new Stage(5, R, 4).mask();
    SecAggClient c = s.clients.get("site-1");
    List<String> stranger = new ArrayList<>(ALL);
    stranger.add("mallory");
    expect(Reason.UNKNOWN_SITE, "'mallory' is not a participant", () -> c.consistencySignature(check(stranger)));
    neverSignsAfterwards(c);
  }

  @Test
  void checkListingASiteTwiceIsRefused() throws Exception {
    Stage s = new Stage(5, R, 5).mask();
    SecAggClient c = s.clients.get("site-1");
    List<String> twice = new ArrayList<>(ALL);
    twice.add("site-4");
    expect(Reason.DUPLICATE_SITE, "lists 'site-4' twice", () -> c.consistencySignature(check(twice)));
    neverSignsAfterwards(c);
  }

  @Test
  void checkNotListingTheSiteIsRefused() throws Exception {
    Stage s = new Stage(5, R, 6).mask();
    SecAggClient c = s.clients.get("site-2");
    expect(Reason.REFUSED, "does not list this site as a survivor",
        () -> c.consistencySignature(check(without(ALL, "site-2"))));
    neverSignsAfterwards(c);
  }

  @Test
  void checkListingAGroupMemberWithoutSharesIsRefused() throws Exception {
    Stage s = new Stage(5, R, 7).share();
    List<EncryptedShare> kept = new ArrayList<>();
    for (EncryptedShare es : s.routed.get("site-0").shares()) {
      if (!es.fromSite().equals("site-3")) {
        kept.add(es);
      }
    }
    s.routed.put("site-0", new EncryptedShares(R, kept));
    s.maskAsRouted();
    SecAggClient c = s.clients.get("site-0");
    expect(Reason.REFUSED, "lists 'site-3' as surviving, but this site received no shares from it",
        () -> c.consistencySignature(check(ALL)));
    neverSignsAfterwards(c);
    // Control: the same site in a replay signs the list without site-3.
    Stage replay = new Stage(5, R, 7).share();
    replay.routed.put("site-0", new EncryptedShares(R, kept));
    replay.maskAsRouted();
    replay.clients.get("site-0").consistencySignature(check(without(ALL, "site-3")));
  }

  @Test
  void checkWithFewerThanTSurvivorsIsRefused() throws Exception {
    Stage s = new Stage(5, R, 8).mask();
    SecAggClient c = s.clients.get("site-0");
    expect(Reason.TOO_FEW_SURVIVORS, "2 survivors among the sites this site holds shares of, threshold is 3",
        () -> c.consistencySignature(check(List.of("site-0", "site-4"))));
    neverSignsAfterwards(c);
    // Control: exactly t survivors are signed.
    s.clients.get("site-1").consistencySignature(check(List.of("site-0", "site-1", "site-4")));
  }

  @Test
  void aSiteSignsOnlyOnce() throws Exception {
    Stage s = new Stage(5, R, 9).mask();
    SecAggClient c = s.clients.get("site-3");
    c.consistencySignature(check(ALL));
    expect(Reason.REFUSED, "already signed or refused", () -> c.consistencySignature(check(ALL)));
    expect(Reason.REFUSED, "already signed or refused",
        () -> c.consistencySignature(check(without(ALL, "site-4"))));
  }

  // ---- the unmask request at a site

  @Test
  void unmaskBeforeSigningIsOutOfPhase() throws Exception {
    Stage s = new Stage(5, R, 10).mask();
    Adversary server = new Adversary(s);
    for (String id : without(ALL, "site-0")) {
      assertNull(server.show(id, ALL));
    }
    SecAggClient c = s.clients.get("site-0");
    expect(Reason.OUT_OF_PHASE, "unmask request arrived while the site is in phase MASKED, expected SIGNED",
        () -> c.unmask(server.request("site-0", ALL)));
    // Control: after signing, the same request (with its own signature added) is answered.
    assertNull(server.show("site-0", ALL));
    assertEquals(5, c.unmask(server.request("site-0", ALL)).shares().size());
  }

  @Test
  void unmaskForAListOtherThanTheSignedOneIsRefused() throws Exception {
    Stage s = new Stage(5, R, 11).mask();
    Adversary server = new Adversary(s);
    List<String> four = without(ALL, "site-4");
    assertNull(server.show("site-0", ALL));
    for (String id : four) {
      if (!id.equals("site-0")) {
        assertNull(server.show(id, four));
      }
    }
    // Three valid signatures over "0, 1, 2, 3", but site-0 signed "0, 1, 2, 3, 4".
    assertEquals(3, server.signaturesOver(four).size());
    SecAggException e = expect(Reason.REFUSED, "lists 'site-4' as not surviving, unlike the survivor list this site signed",
        () -> s.clients.get("site-0").unmask(server.request("site-0", four)));
    assertTrue(e.getMessage().contains("site-4"));
    // The list site-2 signed, with t valid signatures over it, relayed with other survivors: the
    // signatures verify (they are over the signed list), so only the list comparison refuses.
    Stage t = new Stage(5, R, 11).mask().sign();
    expect(Reason.REFUSED, "lists 'site-4' as not surviving, unlike the survivor list this site signed",
        () -> t.clients.get("site-2").unmask(new UnmaskRequest(R, List.of("site-4"), four,
            t.request.signatures())));
    // Control: a site that signed "0, 1, 2, 3" answers the same request.
    assertTrue(server.ask("site-1", server.request("site-1", four)));
  }

  @Test
  void unmaskWithTMinusOneSignaturesIsRefused() throws Exception {
    Stage s = new Stage(5, R, 12).mask().sign();
    List<SurvivorSignature> two = s.request.signatures().subList(0, 2);
    expect(Reason.REFUSED, "carries 2 valid signatures over the survivor list from this site's share group, threshold is 3",
        () -> s.clients.get("site-0").unmask(new UnmaskRequest(R, List.of(), ALL, two)));
    expect(Reason.REFUSED, "carries 0 valid signatures",
        () -> s.clients.get("site-1").unmask(new UnmaskRequest(R, List.of(), ALL, List.of())));
    // Control: exactly t signatures are enough.
    List<SurvivorSignature> three = s.request.signatures().subList(2, 5);
    assertEquals(5, s.clients.get("site-2").unmask(new UnmaskRequest(R, List.of(), ALL, three)).shares().size());
  }

  @Test
  void unmaskWithATamperedSignatureIsRefused() throws Exception {
    Stage s = new Stage(5, R, 13).mask().sign();
    List<SurvivorSignature> sigs = new ArrayList<>(s.request.signatures());
    SurvivorSignature two = sigs.get(2);
    sigs.set(2, new SurvivorSignature("site-2", flip(two.signature(), 17)));
    expect(Reason.BAD_SIGNATURE, "the signature of 'site-2' over the survivor list does not verify",
        () -> s.clients.get("site-0").unmask(new UnmaskRequest(R, List.of(), ALL, sigs)));
    // Site-1's valid signature relabelled as site-2's does not verify either.
    List<SurvivorSignature> relabelled = new ArrayList<>(s.request.signatures());
    relabelled.set(2, new SurvivorSignature("site-2", s.request.signatures().get(1).signature()));
    expect(Reason.BAD_SIGNATURE, "the signature of 'site-2' over the survivor list does not verify",
        () -> s.clients.get("site-3").unmask(new UnmaskRequest(R, List.of(), ALL, relabelled)));
    // Even with t other valid signatures, one bad signature refuses the request.
    List<SurvivorSignature> plusBad = new ArrayList<>(s.request.signatures());
    plusBad.set(4, new SurvivorSignature("site-4", new byte[64]));
    expect(Reason.BAD_SIGNATURE, "'site-4'",
        () -> s.clients.get("site-1").unmask(new UnmaskRequest(R, List.of(), ALL, plusBad)));
  }

  @Test
  void unmaskWithASignatureOverAnotherListIsRefused() throws Exception {
    Stage s = new Stage(5, R, 14).mask();
    Adversary server = new Adversary(s);
    for (String id : List.of("site-0", "site-1", "site-2", "site-3")) {
      assertNull(server.show(id, ALL));
    }
    List<String> other = without(ALL, "site-0");
    assertNull(server.show("site-4", other));
    List<SurvivorSignature> mixed = new ArrayList<>(server.signaturesOver(ALL));
    mixed.add(server.signaturesOver(other).get(0)); // site-4's signature over "1, 2, 3, 4"
    assertEquals("site-4", mixed.get(4).siteId());
    expect(Reason.BAD_SIGNATURE, "the signature of 'site-4' over the survivor list does not verify",
        () -> s.clients.get("site-0").unmask(new UnmaskRequest(R, List.of(), ALL, mixed)));
    // A signature over the same list in another round does not verify.
    Stage later = new Stage(5, R + 1, 14).mask().sign(); // same seed: the same signing keys
    List<SurvivorSignature> replayed = new ArrayList<>(server.signaturesOver(ALL).subList(1, 4));
    replayed.add(0, new SurvivorSignature("site-0", later.signatures.get("site-0").signature()));
    expect(Reason.BAD_SIGNATURE, "the signature of 'site-0' over the survivor list does not verify",
        () -> s.clients.get("site-1").unmask(new UnmaskRequest(R, List.of(), ALL, replayed)));
    // Control: the signatures over the list site-2 signed are answered.
    assertTrue(server.ask("site-2", server.request("site-2", ALL)));
  }

  @Test
  void unmaskWithASignatureFromANonSurvivorIsMalformed() throws Exception {
    Stage s = new Stage(5, R, 15).mask();
    Adversary server = new Adversary(s);
    List<String> four = without(ALL, "site-4");
    for (String id : four) {
      assertNull(server.show(id, four));
    }
    // A valid signature of site-4 over "0, 1, 2, 3" (as a site colluding with the server could
    // make), but site-4 is not in that list.
    SigningKey k4 = s.federation.signing.get("site-4");
    boolean[] u3 = {true, true, true, true, false};
    List<SurvivorSignature> sigs = new ArrayList<>(server.signaturesOver(four));
    sigs.add(new SurvivorSignature("site-4", k4.sign(transcript(s, R, u3))));
    expect(Reason.MALFORMED, "carries a signature of 'site-4', which is not a survivor",
        () -> s.clients.get("site-0").unmask(new UnmaskRequest(R, List.of("site-4"), four, sigs)));
    // Control: without it the request is answered.
    assertTrue(server.ask("site-1", server.request("site-1", four)));
  }

  @Test
  void unmaskWithADuplicatedSignerIsRefused() throws Exception {
    Stage s = new Stage(5, R, 16).mask().sign();
    List<SurvivorSignature> sigs = new ArrayList<>(s.request.signatures().subList(0, 2));
    sigs.add(s.request.signatures().get(1));
    expect(Reason.DUPLICATE_SITE, "carries two signatures of 'site-1'",
        () -> s.clients.get("site-0").unmask(new UnmaskRequest(R, List.of(), ALL, sigs)));
  }

  /** The consistency refusals end the round for the site: no later unmask request is answered. */
  @Test
  void aSiteThatRefusedToSignNeverUnmasks() throws Exception {
    Stage s = new Stage(5, R, 17).mask();
    Adversary server = new Adversary(s);
    assertEquals(Reason.TOO_FEW_SURVIVORS, server.show("site-0", List.of("site-0", "site-1")).reason());
    for (String id : without(ALL, "site-0")) {
      assertNull(server.show(id, ALL));
    }
    expect(Reason.REFUSED, "already answered or refused",
        () -> s.clients.get("site-0").unmask(server.request("site-0", ALL)));
  }

  // ---- the server

  @Test
  void serverChecksConsistencySignatures() throws Exception {
    Stage s = new Stage(5, R, 20).share();
    for (int i = 0; i < 4; i++) { // site-4 drops before masking: U3 = 0..3
      String id = "site-" + i;
      s.server.receiveMaskedInput(id, s.clients.get(id).maskedInput(s.routed.get(id), s.inputs[i]));
    }
    SecAggServer srv = s.server;
    SigningKey k0 = s.federation.signing.get("site-0");
    boolean[] u3 = {true, true, true, true, false};
    byte[] good0 = k0.sign(transcript(s, R, u3));
    expect(Reason.OUT_OF_PHASE, "consistency signature from 'site-0' arrived in phase MASK",
        () -> srv.receiveConsistencySignature("site-0", new ConsistencySignature(R, good0)));
    ConsistencyCheck check = srv.consistencyCheck();
    assertEquals(List.of("site-0", "site-1", "site-2", "site-3"), check.survivors());
    ConsistencySignature sig0 = s.clients.get("site-0").consistencySignature(check);
    assertArrayEquals(good0, sig0.signature()); // Ed25519 is deterministic: the same transcript
    expect(Reason.WRONG_ROUND, "belongs to round 2",
        () -> srv.receiveConsistencySignature("site-0", new ConsistencySignature(R + 1, sig0.signature())));
    expect(Reason.UNKNOWN_SITE, "'mallory' is not a participant",
        () -> srv.receiveConsistencySignature("mallory", sig0));
    byte[] by4 = s.federation.signing.get("site-4").sign(transcript(s, R, u3));
    expect(Reason.UNKNOWN_SITE, "site 'site-4' sent a consistency signature but is not a survivor",
        () -> srv.receiveConsistencySignature("site-4", new ConsistencySignature(R, by4)));
    expect(Reason.BAD_SIGNATURE, "consistency signature of site 'site-0'",
        () -> srv.receiveConsistencySignature("site-0", new ConsistencySignature(R, flip(sig0.signature(), 3))));
    // Site-0's valid signature claimed by site-1.
    expect(Reason.BAD_SIGNATURE, "consistency signature of site 'site-1'",
        () -> srv.receiveConsistencySignature("site-1", sig0));
    // Site-0's signature over another list (all five sites).
    byte[] overAll = k0.sign(transcript(s, R, new boolean[] {true, true, true, true, true}));
    expect(Reason.BAD_SIGNATURE, "consistency signature of site 'site-0'",
        () -> srv.receiveConsistencySignature("site-0", new ConsistencySignature(R, overAll)));
    expect(Reason.BAD_SIGNATURE, "consistency signature of site 'site-0'",
        () -> srv.receiveConsistencySignature("site-0", new ConsistencySignature(R, new byte[63])));
    srv.receiveConsistencySignature("site-0", sig0);
    expect(Reason.DUPLICATE_SITE, "site 'site-0' signed the survivor list twice",
        () -> srv.receiveConsistencySignature("site-0", sig0));
    for (int i = 1; i < 4; i++) {
      String id = "site-" + i;
      srv.receiveConsistencySignature(id, s.clients.get(id).consistencySignature(check));
    }
    UnmaskRequest request = srv.unmaskRequest();
    assertEquals(List.of("site-4"), request.dropped());
    assertEquals(4, request.signatures().size());
    expect(Reason.OUT_OF_PHASE, "arrived in phase UNMASK",
        () -> srv.receiveConsistencySignature("site-1", sig0));
  }

  @Test
  void serverRefusesUnmaskSharesFromASiteThatDidNotSign() throws Exception {
    Stage s = new Stage(5, R, 21).mask();
    ConsistencyCheck check = s.server.consistencyCheck();
    assertEquals(ALL, check.survivors());
    for (int i = 0; i < 4; i++) { // site-4 masked but does not sign
      String id = "site-" + i;
      s.server.receiveConsistencySignature(id, s.clients.get(id).consistencySignature(check));
    }
    UnmaskRequest request = s.server.unmaskRequest();
    assertEquals(List.of(), request.dropped());
    assertEquals(ALL, request.survivors());
    UnmaskShares answer0 = s.clients.get("site-0").unmask(request);
    expect(Reason.UNKNOWN_SITE, "site 'site-4' sent unmask shares but did not sign the survivor list",
        () -> s.server.receiveUnmaskShares("site-4", answer0));
    // The unsigned site cannot produce an answer either.
    expect(Reason.OUT_OF_PHASE, "expected SIGNED", () -> s.clients.get("site-4").unmask(request));
    s.server.receiveUnmaskShares("site-0", answer0);
    for (int i = 1; i < 4; i++) {
      String id = "site-" + i;
      s.server.receiveUnmaskShares(id, s.clients.get(id).unmask(request));
    }
    // Site-4's input is in the sum: its b is reconstructed from the signers' shares.
    assertArrayEquals(Federation.expectedSum(s.params, s.inputs, ALL), s.server.aggregate().sum());
  }

  @Test
  void serverNeedsTSignaturesForAnUnmaskRequest() throws Exception {
    Stage s = new Stage(5, R, 22).mask();
    ConsistencyCheck check = s.server.consistencyCheck();
    for (int i = 0; i < 2; i++) {
      String id = "site-" + i;
      s.server.receiveConsistencySignature(id, s.clients.get(id).consistencySignature(check));
    }
    expect(Reason.TOO_FEW_SURVIVORS, "2 sites sent consistency signatures, threshold is 3", s.server::unmaskRequest);
    assertThrows(IllegalStateException.class, s.server::aggregate);
    assertThrows(IllegalStateException.class, s.server::unmaskRequest);
  }

  @Test
  void serverPhasesCloseInOrder() throws Exception {
    Stage s = new Stage(5, R, 23).mask();
    assertThrows(IllegalStateException.class, s.server::unmaskRequest); // MASK not yet closed
    s.server.consistencyCheck();
    assertThrows(IllegalStateException.class, s.server::consistencyCheck);
    expect(Reason.OUT_OF_PHASE, "arrived in phase CHECK",
        () -> s.server.receiveMaskedInput("site-0", s.maskedInputs.get("site-0")));
    expect(Reason.OUT_OF_PHASE, "arrived in phase CHECK",
        () -> s.server.receiveUnmaskShares("site-0", new UnmaskShares(R, List.of())));
  }
}
