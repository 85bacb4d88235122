package org.fedtel.crypto.secagg;

import java.security.SignatureException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.SecAggException.Reason;

/**
 * The server's side of one secure-aggregation round (Bonawitz et al., CCS 2017, Fig. 4; SecAgg+
 * graph of Bell et al., CCS 2020). One object per round. Messages are accepted with {@code
 * receive…} and each phase is closed with the method that produces the next broadcast:
 * {@link #keyList()}, {@link #routedShares()}, {@link #consistencyCheck()}, {@link #unmaskRequest()},
 * {@link #aggregate()}.
 * Sites that do not answer before a phase is closed count as dropped from then on.
 *
 * <p>The result is the exact sum mod 2^k over the sites whose masked input was received, or a
 * {@link SecAggException} (TOO_FEW_SURVIVORS, INCONSISTENT_SHARES) — never a wrong sum from honest
 * sites. Masked inputs are added into one running sum as they arrive, so memory is one vector.
 *
 * <p>Not thread-safe: the caller serializes calls (e.g. on one event loop).
 */
public final class SecAggServer {
  private enum Phase { ADVERTISE, SHARE, MASK, CHECK, UNMASK, DONE, FAILED }

  private final SecAggParams params;
  private final PeerKeys peerKeys;
  private final NeighbourGraph graph;
  private final int n;
  private final Map<String, Integer> index = new HashMap<>();

  private Phase phase = Phase.ADVERTISE;
  private final SiteKeys[] keys;
  /** The certified signing key of each site of U1, learnt with its advertised keys. */
  private final VerifyingKey[] signingKeys;
  private final boolean[] shared;
  private final List<List<EncryptedShare>> inbox;
  private final boolean[] masked;
  private final long[] sum;
  private final boolean[] answered;
  /** Consistency signatures over U3 by participant index (U4: the sites that signed). */
  private final byte[][] signatures;
  private byte[] consistencyTranscript;
  /** Digest of the key list sent to the sites ({@link SecAggClient#keyListDigest}). */
  private byte[] keyListDigest;
  /** Revealed shares by owner: holder indices and share bytes, in arrival order. */
  private final List<List<Held>> revealed;

  private record Held(int holder, byte[] share) {}

  public SecAggServer(SecAggParams params, PeerKeys peerKeys) {
    this.params = Objects.requireNonNull(params, "params");
    this.peerKeys = Objects.requireNonNull(peerKeys, "peerKeys");
    this.graph = new NeighbourGraph(params);
    this.n = params.participants().size();
    for (int i = 0; i < n; i++) {
      index.put(params.participants().get(i), i);
    }
    keys = new SiteKeys[n];
    signingKeys = new VerifyingKey[n];
    shared = new boolean[n];
    masked = new boolean[n];
    answered = new boolean[n];
    signatures = new byte[n][];
    inbox = new ArrayList<>(n);
    revealed = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      inbox.add(new ArrayList<>());
      revealed.add(new ArrayList<>());
    }
    sum = new long[params.vectorLength()];
  }

  /**
   * Round 0: a site's advertised keys, with the certificate that certifies its signing key (the
   * site's TLS peer certificate in a deployment, empty in simulations).
   */
  public void receiveAdvertisement(String site, byte[] certificate, AdvertiseKeys message)
      throws SecAggException {
    requirePhase(Phase.ADVERTISE, "advertised keys", site);
    requireRound(message.round(), "advertised keys", site);
    int u = indexOf(site, "advertised keys");
    if (keys[u] != null) {
      throw new SecAggException(Reason.DUPLICATE_SITE, "site '" + site + "' advertised keys twice");
    }
    if (certificate == null) {
      throw new SecAggException(Reason.MALFORMED, "site '" + site
          + "': certificate is null (empty where keys are trusted out of band)");
    }
    byte[] c = message.cipherPublicKey();
    byte[] s = message.maskPublicKey();
    if (c.length != KeyAgreement.KEY_LENGTH || s.length != KeyAgreement.KEY_LENGTH) {
      throw new SecAggException(Reason.MALFORMED,
          "site '" + site + "': advertised public keys must be 32 bytes");
    }
    // Refused here, this site alone is left out; relayed, such a key would make every neighbour's
    // key agreement with it fail and so end the round for all.
    KeyAgreement.requireNotLowOrder(c, site, "advertised cipher key");
    KeyAgreement.requireNotLowOrder(s, site, "advertised mask key");
    VerifyingKey vk = peerKeys.signingKey(site, certificate.clone());
    try {
      vk.verify(SecAggClient.advertisedTranscript(params.round(), site, c, s),
          message.signature());
    } catch (SignatureException e) {
      throw new SecAggException(Reason.BAD_SIGNATURE,
          "advertised keys of site '" + site + "': " + e.getMessage());
    }
    keys[u] = new SiteKeys(site, c, s, message.signature(), certificate);
    signingKeys[u] = vk;
  }

  /** Closes round 0: the keys of U1 (in participant order), to send to every site in U1. */
  public KeyList keyList() throws SecAggException {
    close(Phase.ADVERTISE, Phase.SHARE);
    List<SiteKeys> list = new ArrayList<>();
    for (SiteKeys k : keys) {
      if (k != null) {
        list.add(k);
      }
    }
    requireAtLeast(list.size(), "advertised keys");
    byte[][] cipher = new byte[n][];
    byte[][] mask = new byte[n][];
    for (int v = 0; v < n; v++) {
      if (keys[v] != null) {
        cipher[v] = keys[v].cipherPublicKey();
        mask[v] = keys[v].maskPublicKey();
      }
    }
    keyListDigest = SecAggClient.keyListDigest(params.participants(), cipher, mask);
    return new KeyList(params.round(), list);
  }

  /**
   * Round 1: a site's encrypted shares, one for each other member of its share group that
   * advertised keys.
   */
  public void receiveShares(String site, EncryptedShares message) throws SecAggException {
    requirePhase(Phase.SHARE, "encrypted shares", site);
    requireRound(message.round(), "encrypted shares", site);
    int u = indexOf(site, "encrypted shares");
    if (keys[u] == null) {
      throw new SecAggException(Reason.UNKNOWN_SITE,
          "site '" + site + "' sent shares but did not advertise keys");
    }
    if (shared[u]) {
      throw new SecAggException(Reason.DUPLICATE_SITE, "site '" + site + "' sent shares twice");
    }
    int expectedLength = ShareCipher.NONCE_LENGTH + SecAggClient.PLAINTEXT_LENGTH
        + ShareCipher.TAG_LENGTH;
    boolean[] to = new boolean[n];
    int count = 0;
    for (EncryptedShare es : message.shares()) {
      if (!es.fromSite().equals(site)) {
        throw new SecAggException(Reason.MALFORMED,
            "site '" + site + "' sent a share claiming to be from '" + es.fromSite() + "'");
      }
      int v = indexOf(es.toSite(), "encrypted shares of '" + site + "'");
      if (v == u || !graph.adjacent(u, v) || keys[v] == null) {
        throw new SecAggException(Reason.UNKNOWN_SITE, "site '" + site + "' sent a share to '"
            + es.toSite() + "', which is not a neighbour that advertised keys");
      }
      if (to[v]) {
        throw new SecAggException(Reason.DUPLICATE_SITE,
            "site '" + site + "' sent two shares to '" + es.toSite() + "'");
      }
      if (es.ciphertext().length != expectedLength) {
        throw new SecAggException(Reason.MALFORMED, "share from '" + site + "' to '" + es.toSite()
            + "' is " + es.ciphertext().length + " bytes, expected " + expectedLength);
      }
      to[v] = true;
      count++;
    }
    for (int v : graph.group(u)) {
      if (v != u && keys[v] != null && !to[v]) {
        throw new SecAggException(Reason.MALFORMED, "site '" + site + "' sent no share to '"
            + params.participants().get(v) + "'");
      }
    }
    assert count == message.shares().size();
    for (EncryptedShare es : message.shares()) {
      inbox.get(index.get(es.toSite())).add(es);
    }
    shared[u] = true;
  }

  /** Closes round 1: for each site of U2, the shares addressed to it from other sites of U2. */
  public Map<String, EncryptedShares> routedShares() throws SecAggException {
    close(Phase.SHARE, Phase.MASK);
    requireAtLeast(count(shared), "encrypted shares");
    Map<String, EncryptedShares> out = new LinkedHashMap<>();
    for (int v = 0; v < n; v++) {
      if (!shared[v]) {
        continue;
      }
      List<EncryptedShare> mine = new ArrayList<>();
      for (EncryptedShare es : inbox.get(v)) {
        if (shared[index.get(es.fromSite())]) {
          mine.add(es);
        }
      }
      out.put(params.participants().get(v), new EncryptedShares(params.round(), mine));
      inbox.set(v, null);
    }
    return out;
  }

  /** Round 2: a site's masked input; it is added into the running sum at once. */
  public void receiveMaskedInput(String site, MaskedInput message) throws SecAggException {
    requirePhase(Phase.MASK, "masked input", site);
    requireRound(message.round(), "masked input", site);
    int u = indexOf(site, "masked input");
    if (!shared[u]) {
      throw new SecAggException(Reason.UNKNOWN_SITE,
          "site '" + site + "' sent a masked input but did not share keys");
    }
    if (masked[u]) {
      throw new SecAggException(Reason.DUPLICATE_SITE,
          "site '" + site + "' sent a masked input twice");
    }
    if (message.length() != sum.length) {
      throw new SecAggException(Reason.MALFORMED, "masked input of site '" + site + "' has "
          + message.length() + " elements, round expects " + sum.length);
    }
    long outside = ~params.ringMask();
    for (int i = 0; i < sum.length; i++) {
      if ((message.valueAt(i) & outside) != 0) {
        throw new SecAggException(Reason.MALFORMED, "masked input of site '" + site
            + "': element " + i + " is outside [0, 2^" + params.modulusBits() + ")");
      }
    }
    for (int i = 0; i < sum.length; i++) {
      sum[i] += message.valueAt(i);
    }
    masked[u] = true;
  }

  /** Closes round 2: the survivor list U3 (sites whose masked input is in the sum), to send to each of them. */
  public ConsistencyCheck consistencyCheck() throws SecAggException {
    close(Phase.MASK, Phase.CHECK);
    requireAtLeast(count(masked), "masked inputs");
    consistencyTranscript = SecAggClient.consistencyTranscript(params.round(), keyListDigest, params.participants(),
        masked);
    return new ConsistencyCheck(params.round(), sites(false));
  }

  /** Round 3: a survivor's signature over U3, checked against its certified key. */
  public void receiveConsistencySignature(String site, ConsistencySignature message) throws SecAggException {
    requirePhase(Phase.CHECK, "consistency signature", site);
    requireRound(message.round(), "consistency signature", site);
    int u = indexOf(site, "consistency signature");
    if (!masked[u]) {
      throw new SecAggException(Reason.UNKNOWN_SITE,
          "site '" + site + "' sent a consistency signature but is not a survivor");
    }
    if (signatures[u] != null) {
      throw new SecAggException(Reason.DUPLICATE_SITE, "site '" + site + "' signed the survivor list twice");
    }
    try {
      signingKeys[u].verify(consistencyTranscript, message.signature());
    } catch (SignatureException e) {
      throw new SecAggException(Reason.BAD_SIGNATURE,
          "consistency signature of site '" + site + "': " + e.getMessage());
    }
    signatures[u] = message.signature();
  }

  /**
   * Closes round 3: dropped = U2 \ U3, survivors = U3 and the signatures over U3 (U4, at least t),
   * to send to every site that signed.
   */
  public UnmaskRequest unmaskRequest() throws SecAggException {
    close(Phase.CHECK, Phase.UNMASK);
    List<SurvivorSignature> signed = new ArrayList<>();
    for (int u = 0; u < n; u++) {
      if (signatures[u] != null) {
        signed.add(new SurvivorSignature(params.participants().get(u), signatures[u]));
      }
    }
    requireAtLeast(signed.size(), "consistency signatures");
    return new UnmaskRequest(params.round(), sites(true), sites(false), signed);
  }

  /** Round 4: a signer's revealed shares, exactly one per share-group member of U2. */
  public void receiveUnmaskShares(String site, UnmaskShares message) throws SecAggException {
    requirePhase(Phase.UNMASK, "unmask shares", site);
    requireRound(message.round(), "unmask shares", site);
    int w = indexOf(site, "unmask shares");
    if (signatures[w] == null) {
      throw new SecAggException(Reason.UNKNOWN_SITE,
          "site '" + site + "' sent unmask shares but did not sign the survivor list");
    }
    if (answered[w]) {
      throw new SecAggException(Reason.DUPLICATE_SITE, "site '" + site + "' answered twice");
    }
    boolean[] seen = new boolean[n];
    for (RevealedShare rs : message.shares()) {
      int v = indexOf(rs.ownerSite(), "unmask shares of '" + site + "'");
      if (!shared[v] || !(v == w || graph.adjacent(v, w))) {
        throw new SecAggException(Reason.MALFORMED, "site '" + site
            + "' revealed a share of '" + rs.ownerSite() + "', of which it holds none");
      }
      if (seen[v]) {
        throw new SecAggException(Reason.DUPLICATE_SITE,
            "site '" + site + "' revealed two shares of '" + rs.ownerSite() + "'");
      }
      ShareKind expected = masked[v] ? ShareKind.SELF_MASK : ShareKind.MASK_KEY;
      if (rs.kind() != expected) {
        throw new SecAggException(Reason.MALFORMED, "site '" + site + "' revealed a " + rs.kind()
            + " share of '" + rs.ownerSite() + "', expected " + expected);
      }
      Shamir.decode(rs.share(), rs.ownerSite());
      seen[v] = true;
    }
    for (int v : graph.group(w)) {
      if (shared[v] && !seen[v]) {
        throw new SecAggException(Reason.MALFORMED, "site '" + site + "' revealed no share of '"
            + params.participants().get(v) + "'");
      }
    }
    for (RevealedShare rs : message.shares()) {
      revealed.get(index.get(rs.ownerSite())).add(new Held(w, rs.share()));
    }
    answered[w] = true;
  }

  /**
   * Closes round 4: reconstructs the survivors' self-mask seeds and the dropped sites' mask keys
   * from the revealed shares and removes all masks.
   *
   * @throws SecAggException TOO_FEW_SURVIVORS if some secret has fewer than t revealed shares,
   *     INCONSISTENT_SHARES if shares disagree or a key does not match its advertised public key
   */
  public AggregateResult aggregate() throws SecAggException {
    close(Phase.UNMASK, Phase.DONE);
    try {
      long[] result = sum.clone();
      MaskPrg prg = new MaskPrg();
      Shamir.Weights weights = new Shamir.Weights();
      for (int u = 0; u < n; u++) {
        if (!masked[u]) {
          continue;
        }
        String id = params.participants().get(u);
        byte[] seed = reconstruct(u, weights);
        byte[] selfKey = Kdf.derive(seed, "self-mask", params.round(), id, "", MaskPrg.KEY_LENGTH);
        prg.addTo(selfKey, result, true);
      }
      for (int v = 0; v < n; v++) {
        if (!shared[v] || masked[v] || !hasSurvivingNeighbour(v)) {
          continue;
        }
        byte[] secret = reconstruct(v, weights);
        if (!Arrays.equals(KeyAgreement.publicKey(secret), keys[v].maskPublicKey())) {
          throw new SecAggException(Reason.INCONSISTENT_SHARES, "reconstructed mask key of '"
              + params.participants().get(v) + "' does not match its advertised public key");
        }
        for (int u : graph.group(v)) {
          if (u != v && masked[u]) {
            byte[] key = SecAggClient.pairwiseMaskKey(params, secret, keys[u].maskPublicKey(), v, u);
            prg.addTo(key, result, u < v);
          }
        }
        Arrays.fill(secret, (byte) 0);
      }
      long ring = params.ringMask();
      for (int i = 0; i < result.length; i++) {
        result[i] &= ring;
      }
      return new AggregateResult(params.round(), result, sites(false),
          sites(true));
    } catch (SecAggException e) {
      phase = Phase.FAILED;
      throw e;
    }
  }

  private boolean hasSurvivingNeighbour(int v) {
    for (int u : graph.group(v)) {
      if (u != v && masked[u]) {
        return true;
      }
    }
    return false;
  }

  private byte[] reconstruct(int owner, Shamir.Weights weights) throws SecAggException {
    List<Held> got = revealed.get(owner);
    got.sort((a, b) -> Integer.compare(a.holder(), b.holder()));
    int[] points = new int[got.size()];
    byte[][] shares = new byte[got.size()][];
    for (int i = 0; i < got.size(); i++) {
      points[i] = got.get(i).holder() + 1;
      shares[i] = got.get(i).share();
    }
    return Shamir.reconstruct(points, shares, params.threshold(), params.participants().get(owner),
        weights);
  }

  /** After round 2: dropped (U2 \ U3) or survivors (U3), in participant order. */
  private List<String> sites(boolean dropped) {
    List<String> out = new ArrayList<>();
    for (int v = 0; v < n; v++) {
      if (shared[v] && (dropped != masked[v])) {
        out.add(params.participants().get(v));
      }
    }
    return out;
  }

  private static int count(boolean[] b) {
    int c = 0;
    for (boolean x : b) {
      if (x) {
        c++;
      }
    }
    return c;
  }

  private void requireAtLeast(int count, String what) throws SecAggException {
    if (count < params.threshold()) {
      phase = Phase.FAILED;
      throw new SecAggException(Reason.TOO_FEW_SURVIVORS, "round " + params.round() + ": "
          + count + " sites sent " + what + ", threshold is " + params.threshold());
    }
  }

  private void close(Phase expected, Phase next) {
    if (phase != expected) {
      throw new IllegalStateException("cannot close phase " + expected + " of round "
          + params.round() + ": the round is in phase " + phase);
    }
    phase = next;
  }

  private int indexOf(String id, String where) throws SecAggException {
    Integer i = index.get(id);
    if (i == null) {
      throw new SecAggException(Reason.UNKNOWN_SITE,
          where + ": '" + id + "' is not a participant of round " + params.round());
    }
    return i;
  }

  private void requirePhase(Phase expected, String what, String site) throws SecAggException {
    if (phase != expected) {
      throw new SecAggException(Reason.OUT_OF_PHASE, what + " from '" + site
          + "' arrived in phase " + phase + " of round " + params.round());
    }
  }

  private void requireRound(long round, String what, String site) throws SecAggException {
    if (round != params.round()) {
      throw new SecAggException(Reason.WRONG_ROUND, what + " from '" + site + "' belongs to round "
          + round + ", this is round " + params.round());
    }
  }
}
