package org.fedtel.crypto.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.secagg.SecAggException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** A corpus of malformed, forged, replayed and out-of-phase messages, one typed error each. */
class BadInputTest {
  private static final long R = 1;

  private static void expect(Reason reason, Executable call) {
    SecAggException e = assertThrows(SecAggException.class, call);
    assertEquals(reason, e.reason(), e.getMessage());
  }

  private static byte[] flip(byte[] b, int i) {
    byte[] c = b.clone();
    c[i] ^= 1;
    return c;
  }

  // ---- AdvertiseKeys at the server

  @Test
  void advertiseKeys() throws Exception {
    Stage s = new Stage(5, R, 1);
    AdvertiseKeys a = s.clients.get("site-0").advertiseKeys();
    SecAggServer srv = s.server;
    expect(Reason.WRONG_ROUND, () -> srv.receiveAdvertisement("site-0", new byte[0],
        new AdvertiseKeys(R + 1, a.cipherPublicKey(), a.maskPublicKey(), a.signature())));
    expect(Reason.UNKNOWN_SITE, () -> srv.receiveAdvertisement("mallory", new byte[0], a));
    expect(Reason.MALFORMED, () -> srv.receiveAdvertisement("site-0", new byte[0],
        new AdvertiseKeys(R, new byte[31], a.maskPublicKey(), a.signature())));
    expect(Reason.BAD_SIGNATURE, () -> srv.receiveAdvertisement("site-0", new byte[0],
        new AdvertiseKeys(R, a.cipherPublicKey(), a.maskPublicKey(), flip(a.signature(), 5))));
    expect(Reason.BAD_SIGNATURE, () -> srv.receiveAdvertisement("site-0", new byte[0],
        new AdvertiseKeys(R, flip(a.cipherPublicKey(), 0), a.maskPublicKey(), a.signature())));
    expect(Reason.BAD_SIGNATURE, () -> srv.receiveAdvertisement("site-0", new byte[0],
        new AdvertiseKeys(R, a.maskPublicKey(), a.cipherPublicKey(), a.signature())));
    expect(Reason.BAD_SIGNATURE, () -> srv.receiveAdvertisement("site-0", new byte[0],
        new AdvertiseKeys(R, a.cipherPublicKey(), a.maskPublicKey(), new byte[63])));
    // Site 1 replays site 0's signed keys as its own.
    expect(Reason.BAD_SIGNATURE, () -> srv.receiveAdvertisement("site-1", new byte[0], a));
    // Keys trusted out of band: a relayed certificate is unexpected.
    expect(Reason.BAD_SIGNATURE, () -> srv.receiveAdvertisement("site-0", new byte[] {1}, a));
    srv.receiveAdvertisement("site-0", new byte[0], a);
    expect(Reason.DUPLICATE_SITE, () -> srv.receiveAdvertisement("site-0", new byte[0], a));
    for (int i = 1; i < 5; i++) {
      srv.receiveAdvertisement("site-" + i, new byte[0], s.clients.get("site-" + i).advertiseKeys());
    }
    srv.keyList();
    expect(Reason.OUT_OF_PHASE, () -> srv.receiveAdvertisement("site-0", new byte[0], a));
    assertThrows(IllegalStateException.class, srv::keyList);
    assertThrows(IllegalStateException.class, () -> s.clients.get("site-0").advertiseKeys());
  }

  /**
   * A certified site that advertises a low-order X25519 key (signed, so it passes the signature
   * check) is refused alone at the server; relayed, the key would make every neighbour's key
   * agreement fail and end the round for all. The other sites' round completes.
   */
  @Test
  void lowOrderAdvertisedKeysRefuseOnlyThatSite() throws Exception {
    Stage s = new Stage(5, R, 11);
    SecAggServer srv = s.server;
    SigningKey k1 = s.federation.signing.get("site-1");
    AdvertiseKeys honest1 = s.clients.get("site-1").advertiseKeys();
    // Low-order u-coordinates (little-endian): 0, 1, p − 1 and a point of order 8.
    byte[] minusOne = new byte[32];
    java.util.Arrays.fill(minusOne, (byte) 0xff);
    minusOne[0] = (byte) 0xec;
    minusOne[31] = 0x7f;
    byte[] one = new byte[32];
    one[0] = 1;
    byte[] order8 = java.util.HexFormat.of().parseHex(
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    for (byte[] bad : new byte[][] {new byte[32], one, minusOne, order8}) {
      byte[] c = honest1.cipherPublicKey();
      byte[] m = honest1.maskPublicKey();
      expect(Reason.MALFORMED, () -> srv.receiveAdvertisement("site-1", new byte[0],
          new AdvertiseKeys(R, bad, m, k1.sign(SecAggClient.advertisedTranscript(R, "site-1", bad, m)))));
      expect(Reason.MALFORMED, () -> srv.receiveAdvertisement("site-1", new byte[0],
          new AdvertiseKeys(R, c, bad, k1.sign(SecAggClient.advertisedTranscript(R, "site-1", c, bad)))));
    }
    List<String> others = new ArrayList<>(s.ids());
    others.remove("site-1");
    for (String id : others) {
      srv.receiveAdvertisement(id, new byte[0], s.clients.get(id).advertiseKeys());
    }
    KeyList keys = srv.keyList();
    assertEquals(others.size(), keys.sites().size());
    for (String id : others) {
      srv.receiveShares(id, s.clients.get(id).shareKeys(keys));
    }
    var routed = srv.routedShares();
    for (String id : others) {
      srv.receiveMaskedInput(id, s.clients.get(id).maskedInput(routed.get(id),
          s.inputs[s.params.participants().indexOf(id)]));
    }
    ConsistencyCheck check = srv.consistencyCheck();
    for (String id : others) {
      srv.receiveConsistencySignature(id, s.clients.get(id).consistencySignature(check));
    }
    UnmaskRequest request = srv.unmaskRequest();
    for (String id : others) {
      srv.receiveUnmaskShares(id, s.clients.get(id).unmask(request));
    }
    assertArrayEquals(Federation.expectedSum(s.params, s.inputs, others), srv.aggregate().sum());
  }

  @Test
  void nullCertificateIsMalformed() throws Exception {
    Stage s = new Stage(5, R, 12);
    AdvertiseKeys a = s.clients.get("site-0").advertiseKeys();
    expect(Reason.MALFORMED, () -> s.server.receiveAdvertisement("site-0", null, a));
    s.server.receiveAdvertisement("site-0", new byte[0], a); // control: accepted with a certificate
  }

  // ---- KeyList at a site

  @Test
  void keyList() throws Exception {
    Stage s = new Stage(5, R, 2).advertise();
    SecAggClient c = s.clients.get("site-0");
    List<SiteKeys> good = s.keys.sites();
    expect(Reason.WRONG_ROUND, () -> c.shareKeys(new KeyList(R + 1, good)));
    List<SiteKeys> dup = new ArrayList<>(good);
    dup.add(good.get(2));
    expect(Reason.DUPLICATE_SITE, () -> c.shareKeys(new KeyList(R, dup)));
    List<SiteKeys> unknown = new ArrayList<>(good);
    SiteKeys g2 = good.get(2);
    unknown.set(2, new SiteKeys("mallory", g2.cipherPublicKey(), g2.maskPublicKey(),
        g2.signature(), g2.certificate()));
    expect(Reason.UNKNOWN_SITE, () -> c.shareKeys(new KeyList(R, unknown)));
    // The server substitutes its own cipher key for site 2 (man in the middle): signature fails.
    List<SiteKeys> mitm = new ArrayList<>(good);
    mitm.set(2, new SiteKeys("site-2", s.adverts.get("site-3").cipherPublicKey(),
        g2.maskPublicKey(), g2.signature(), g2.certificate()));
    expect(Reason.BAD_SIGNATURE, () -> c.shareKeys(new KeyList(R, mitm)));
    // Site 3 copied site 2's keys and signed them itself: reused keys are rejected.
    SigningKey k3 = s.federation.signing.get("site-3");
    List<SiteKeys> copied = new ArrayList<>(good);
    copied.set(3, new SiteKeys("site-3", g2.cipherPublicKey(), g2.maskPublicKey(),
        k3.sign(SecAggClient.advertisedTranscript(R, "site-3", g2.cipherPublicKey(),
            g2.maskPublicKey())), new byte[0]));
    expect(Reason.MALFORMED, () -> c.shareKeys(new KeyList(R, copied)));
    List<SiteKeys> short0 = new ArrayList<>(good);
    short0.set(1, new SiteKeys("site-1", new byte[32 + 1], g2.maskPublicKey(), g2.signature(),
        new byte[0]));
    expect(Reason.MALFORMED, () -> c.shareKeys(new KeyList(R, short0)));
    expect(Reason.MALFORMED, () -> c.shareKeys(new KeyList(R, good.subList(1, 5))));
    expect(Reason.TOO_FEW_SURVIVORS, () -> c.shareKeys(new KeyList(R, good.subList(0, 2))));
    expect(Reason.OUT_OF_PHASE, () -> s.clients.get("site-1").maskedInput(
        new EncryptedShares(R, List.of()), new long[6]));
    c.shareKeys(s.keys); // the state was not consumed by the rejected lists
    expect(Reason.OUT_OF_PHASE, () -> c.shareKeys(s.keys));
  }

  // ---- EncryptedShares at the server

  @Test
  void encryptedSharesAtServer() throws Exception {
    Stage s = new Stage(5, R, 3).advertise();
    EncryptedShares good = s.clients.get("site-0").shareKeys(s.keys);
    List<EncryptedShare> sh = good.shares();
    SecAggServer srv = s.server;
    expect(Reason.WRONG_ROUND, () -> srv.receiveShares("site-0", new EncryptedShares(R + 1, sh)));
    expect(Reason.UNKNOWN_SITE, () -> srv.receiveShares("mallory", good));
    expect(Reason.MALFORMED, () -> srv.receiveShares("site-1", good));
    expect(Reason.MALFORMED, () -> srv.receiveShares("site-0", new EncryptedShares(R, sh.subList(1, 4))));
    List<EncryptedShare> dup = new ArrayList<>(sh);
    dup.set(1, sh.get(0));
    expect(Reason.DUPLICATE_SITE, () -> srv.receiveShares("site-0", new EncryptedShares(R, dup)));
    List<EncryptedShare> self = new ArrayList<>(sh);
    self.set(0, new EncryptedShare("site-0", "site-0", sh.get(0).ciphertext()));
    expect(Reason.UNKNOWN_SITE, () -> srv.receiveShares("site-0", new EncryptedShares(R, self)));
    List<EncryptedShare> stranger = new ArrayList<>(sh);
    stranger.set(0, new EncryptedShare("site-0", "mallory", sh.get(0).ciphertext()));
    expect(Reason.UNKNOWN_SITE, () -> srv.receiveShares("site-0", new EncryptedShares(R, stranger)));
    List<EncryptedShare> truncated = new ArrayList<>(sh);
    byte[] ct = sh.get(0).ciphertext();
    truncated.set(0, new EncryptedShare("site-0", sh.get(0).toSite(),
        java.util.Arrays.copyOf(ct, ct.length - 1)));
    expect(Reason.MALFORMED, () -> srv.receiveShares("site-0", new EncryptedShares(R, truncated)));
    srv.receiveShares("site-0", good);
    expect(Reason.DUPLICATE_SITE, () -> srv.receiveShares("site-0", good));
  }

  @Test
  void sharesFromASiteThatDidNotAdvertise() throws Exception {
    Stage s = new Stage(5, R, 4);
    for (int i = 0; i < 4; i++) {
      s.server.receiveAdvertisement("site-" + i, new byte[0], s.clients.get("site-" + i).advertiseKeys());
    }
    s.server.keyList();
    expect(Reason.UNKNOWN_SITE, () -> s.server.receiveShares("site-4", new EncryptedShares(R, List.of())));
  }

  // ---- EncryptedShares at a site

  @Test
  void encryptedSharesAtSite() throws Exception {
    Stage s = new Stage(5, R, 5).share();
    SecAggClient c = s.clients.get("site-0");
    List<EncryptedShare> in = s.routed.get("site-0").shares();
    long[] x = s.inputs[0];
    EncryptedShare first = in.get(0);
    byte[] ct = first.ciphertext();
    for (int i = 0; i < ct.length; i += 7) {
      List<EncryptedShare> bad = new ArrayList<>(in);
      bad.set(0, new EncryptedShare(first.fromSite(), first.toSite(), flip(ct, i)));
      expect(Reason.TAMPERED, () -> c.maskedInput(new EncryptedShares(R, bad), x));
    }
    // A share relabelled as coming from another sender fails authentication.
    List<EncryptedShare> relabelled = new ArrayList<>(in);
    relabelled.set(0, new EncryptedShare(in.get(1).fromSite(), "site-0", ct));
    relabelled.set(1, new EncryptedShare(first.fromSite(), "site-0", in.get(1).ciphertext()));
    expect(Reason.TAMPERED, () -> c.maskedInput(new EncryptedShares(R, relabelled), x));
    // A share meant for site 1, routed to site 0.
    List<EncryptedShare> misrouted = new ArrayList<>(in);
    EncryptedShare forOne = s.routed.get("site-1").shares().get(1);
    misrouted.set(0, forOne);
    expect(Reason.MALFORMED, () -> c.maskedInput(new EncryptedShares(R, misrouted), x));
    List<EncryptedShare> dup = new ArrayList<>(in);
    dup.add(in.get(0));
    expect(Reason.DUPLICATE_SITE, () -> c.maskedInput(new EncryptedShares(R, dup), x));
    List<EncryptedShare> unknown = new ArrayList<>(in);
    unknown.set(0, new EncryptedShare("mallory", "site-0", ct));
    expect(Reason.UNKNOWN_SITE, () -> c.maskedInput(new EncryptedShares(R, unknown), x));
    expect(Reason.WRONG_ROUND, () -> c.maskedInput(new EncryptedShares(R + 1, in), x));
    expect(Reason.TOO_FEW_SURVIVORS, () -> c.maskedInput(new EncryptedShares(R, in.subList(0, 1)), x));
    assertThrows(IllegalArgumentException.class,
        () -> c.maskedInput(s.routed.get("site-0"), new long[5]));
    long[] outside = x.clone();
    outside[3] = 1L << 32;
    assertThrows(IllegalArgumentException.class, () -> c.maskedInput(s.routed.get("site-0"), outside));
    c.maskedInput(s.routed.get("site-0"), x);
  }

  /** The same sites and seeds in round R+1 produce a share that does not open in round R. */
  @Test
  void shareReplayedFromAnotherRoundFails() throws Exception {
    Stage now = new Stage(5, R, 6).share();
    Stage later = new Stage(5, R + 1, 6).share();
    List<EncryptedShare> in = new ArrayList<>(now.routed.get("site-0").shares());
    in.set(0, later.routed.get("site-0").shares().get(0));
    expect(Reason.TAMPERED,
        () -> now.clients.get("site-0").maskedInput(new EncryptedShares(R, in), now.inputs[0]));
  }

  // ---- MaskedInput at the server

  @Test
  void maskedInputAtServer() throws Exception {
    Stage s = new Stage(5, R, 7).share();
    MaskedInput m = s.clients.get("site-0").maskedInput(s.routed.get("site-0"), s.inputs[0]);
    SecAggServer srv = s.server;
    expect(Reason.WRONG_ROUND, () -> srv.receiveMaskedInput("site-0", new MaskedInput(R + 1, m.values())));
    expect(Reason.UNKNOWN_SITE, () -> srv.receiveMaskedInput("mallory", m));
    expect(Reason.MALFORMED, () -> srv.receiveMaskedInput("site-0", new MaskedInput(R, new long[5])));
    expect(Reason.MALFORMED, () -> srv.receiveMaskedInput("site-0", new MaskedInput(R, new long[7])));
    long[] big = m.values();
    big[2] = -1L;
    expect(Reason.MALFORMED, () -> srv.receiveMaskedInput("site-0", new MaskedInput(R, big)));
    srv.receiveMaskedInput("site-0", m);
    expect(Reason.DUPLICATE_SITE, () -> srv.receiveMaskedInput("site-0", m));
    expect(Reason.OUT_OF_PHASE, () -> srv.receiveShares("site-0", s.sent.get("site-0")));
  }

  // ---- UnmaskRequest at a site

  @Test
  void unmaskRequestAtSite() throws Exception {
    Stage s = new Stage(5, R, 8).mask().sign();
    List<String> all = s.ids();
    List<SurvivorSignature> sigs = s.request.signatures();
    expect(Reason.WRONG_ROUND, () -> s.clients.get("site-0").unmask(new UnmaskRequest(R + 1, List.of(), all, sigs)));
    List<String> withStranger = new ArrayList<>(all);
    withStranger.add("mallory");
    expect(Reason.UNKNOWN_SITE, () -> s.clients.get("site-1").unmask(new UnmaskRequest(R, List.of(), withStranger, sigs)));
    List<String> twice = new ArrayList<>(all);
    twice.add("site-4");
    expect(Reason.DUPLICATE_SITE, () -> s.clients.get("site-2").unmask(new UnmaskRequest(R, List.of(), twice, sigs)));
    // Survivors other than the signed U3 (and, before the consistency round, too few of them).
    expect(Reason.REFUSED, () -> s.clients.get("site-4").unmask(
        new UnmaskRequest(R, all.subList(0, 3), all.subList(3, 5), sigs)));
    // A site that holds shares of site-4 but is told nothing about it: the signed U3 leaves
    // site-4 out and the request neither lists it as dropped nor as surviving.
    Stage u = new Stage(5, R, 8).mask();
    Adversary server = new Adversary(u);
    List<String> fourOut = all.subList(0, 4);
    for (String id : fourOut) {
      assertEquals(null, server.show(id, fourOut));
    }
    expect(Reason.MALFORMED, () -> u.clients.get("site-3").unmask(
        new UnmaskRequest(R, List.of(), fourOut, server.signaturesOver(fourOut))));
    // Control: the same list with site-4 listed as dropped is answered.
    assertEquals(null, server.refusal("site-2", server.request("site-2", fourOut)));
  }

  // ---- UnmaskShares at the server

  @Test
  void unmaskSharesAtServer() throws Exception {
    Stage s = new Stage(5, R, 9).mask().sign();
    UnmaskShares a = s.clients.get("site-0").unmask(s.request);
    List<RevealedShare> sh = a.shares();
    SecAggServer srv = s.server;
    expect(Reason.WRONG_ROUND, () -> srv.receiveUnmaskShares("site-0", new UnmaskShares(R + 1, sh)));
    expect(Reason.UNKNOWN_SITE, () -> srv.receiveUnmaskShares("mallory", a));
    expect(Reason.MALFORMED, () -> srv.receiveUnmaskShares("site-0", new UnmaskShares(R, sh.subList(1, 5))));
    List<RevealedShare> wrongKind = new ArrayList<>(sh);
    wrongKind.set(1, new RevealedShare(sh.get(1).ownerSite(), ShareKind.MASK_KEY, sh.get(1).share()));
    expect(Reason.MALFORMED, () -> srv.receiveUnmaskShares("site-0", new UnmaskShares(R, wrongKind)));
    List<RevealedShare> dup = new ArrayList<>(sh);
    dup.set(1, sh.get(0));
    expect(Reason.DUPLICATE_SITE, () -> srv.receiveUnmaskShares("site-0", new UnmaskShares(R, dup)));
    List<RevealedShare> shortShare = new ArrayList<>(sh);
    shortShare.set(1, new RevealedShare(sh.get(1).ownerSite(), ShareKind.SELF_MASK, new byte[32]));
    expect(Reason.MALFORMED, () -> srv.receiveUnmaskShares("site-0", new UnmaskShares(R, shortShare)));
    byte[] notInField = new byte[33];
    java.util.Arrays.fill(notInField, (byte) 0xff);
    List<RevealedShare> outside = new ArrayList<>(sh);
    outside.set(1, new RevealedShare(sh.get(1).ownerSite(), ShareKind.SELF_MASK, notInField));
    expect(Reason.MALFORMED, () -> srv.receiveUnmaskShares("site-0", new UnmaskShares(R, outside)));
    srv.receiveUnmaskShares("site-0", a);
    expect(Reason.DUPLICATE_SITE, () -> srv.receiveUnmaskShares("site-0", a));
  }

  /** A corrupted share among more than t is detected; the round fails instead of a wrong sum. */
  @Test
  void corruptedSelfMaskShareIsDetected() throws Exception {
    Stage s = new Stage(5, R, 10).mask().sign();
    for (var e : s.clients.entrySet()) {
      UnmaskShares u = e.getValue().unmask(s.request);
      if (e.getKey().equals("site-0")) {
        List<RevealedShare> sh = new ArrayList<>(u.shares());
        RevealedShare r = sh.get(2);
        sh.set(2, new RevealedShare(r.ownerSite(), r.kind(), flip(r.share(), 32)));
        u = new UnmaskShares(R, sh);
      }
      s.server.receiveUnmaskShares(e.getKey(), u);
    }
    expect(Reason.INCONSISTENT_SHARES, s.server::aggregate);
  }

  /** A corrupted mask-key share of a dropped site is caught by the public-key check. */
  @Test
  void corruptedMaskKeyShareIsDetected() throws Exception {
    Stage s = new Stage(5, R, 11).share();
    for (int i = 0; i < 4; i++) {
      String id = "site-" + i;
      s.server.receiveMaskedInput(id, s.clients.get(id).maskedInput(s.routed.get(id), s.inputs[i]));
    }
    ConsistencyCheck check = s.server.consistencyCheck();
    assertEquals(List.of("site-0", "site-1", "site-2", "site-3"), check.survivors());
    for (int i = 0; i < 4; i++) {
      String id = "site-" + i;
      s.server.receiveConsistencySignature(id, s.clients.get(id).consistencySignature(check));
    }
    UnmaskRequest req = s.server.unmaskRequest();
    assertEquals(List.of("site-4"), req.dropped());
    for (int i = 0; i < 3; i++) { // exactly t = 3 answers: no spare share to cross-check
      String id = "site-" + i;
      UnmaskShares u = s.clients.get(id).unmask(req);
      if (i == 1) {
        List<RevealedShare> sh = new ArrayList<>(u.shares());
        for (int j = 0; j < sh.size(); j++) {
          RevealedShare r = sh.get(j);
          if (r.kind() == ShareKind.MASK_KEY) {
            sh.set(j, new RevealedShare(r.ownerSite(), r.kind(), flip(r.share(), 32)));
          }
        }
        u = new UnmaskShares(R, sh);
      }
      s.server.receiveUnmaskShares(id, u);
    }
    expect(Reason.INCONSISTENT_SHARES, s.server::aggregate);
  }
}
