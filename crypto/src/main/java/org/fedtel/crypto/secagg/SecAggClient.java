package org.fedtel.crypto.secagg;

import java.security.SecureRandom;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.SecAggException.Reason;

/**
 * The site's side of one secure-aggregation round (Bonawitz et al., "Practical Secure Aggregation
 * for Privacy-Preserving Machine Learning", CCS 2017, Fig. 4, with the SecAgg+ neighbour graph of
 * Bell et al., CCS 2020). One object per round; each step runs once, in order:
 * {@link #advertiseKeys()}, {@link #shareKeys}, {@link #maskedInput}, {@link #consistencySignature},
 * {@link #unmask}.
 *
 * <p>A message that fails validation throws {@link SecAggException} and leaves the state
 * unchanged, except the consistency check and the unmask request: the first of each for this round
 * and in its phase ends that step for this site, signed or answered or refused, so a server can never
 * obtain two signatures or two different answers. A refusal there also wipes the round's secrets.
 *
 * <p>Not thread-safe: the caller serializes calls (e.g. on one event loop).
 */
public final class SecAggClient {
  static final int PLAINTEXT_LENGTH = 2 * Shamir.SHARE_LENGTH;

  private enum Phase { NEW, ADVERTISED, SHARED, MASKED, SIGNED, DONE }

  private final SecAggParams params;
  private final String siteId;
  private final int me;
  private final SigningKey signingKey;
  private final PeerKeys peerKeys;
  private final SecureRandom random;
  private final NeighbourGraph graph;
  private final int[] group;
  private final Map<String, Integer> index = new HashMap<>();

  private Phase phase = Phase.NEW;
  private byte[] cipherSecret;
  private byte[] cipherPublic;
  private byte[] maskSecret;
  private byte[] maskPublic;
  private byte[] selfMaskSeed;
  /** Public keys of U1 members of the group, by participant index; null where absent. */
  private byte[][] peerCipherPublic;
  private byte[][] peerMaskPublic;
  /** Certified signing keys of the group members in the key list, by participant index. */
  private VerifyingKey[] peerSigning;
  /** SHA-256 of the key list as this site received it ({@link #keyListDigest}): unique to this run. */
  private byte[] keyListDigest;
  /** U3 as this site signed it: survivors[v] for every participant v listed. */
  private boolean[] signedSurvivors;
  /** X25519(c_sk, c_pk_v) per group member, computed once for sealing and again needed to open. */
  private byte[][] cipherShared;
  /** Shares held (s_sk and b of each owner), by owner index; null where none was received. */
  private byte[][] heldKeyShares;
  private byte[][] heldSeedShares;

  public SecAggClient(SecAggParams params, String siteId, SigningKey signingKey, PeerKeys peerKeys,
      SecureRandom random) {
    this.params = Objects.requireNonNull(params, "params");
    this.siteId = Objects.requireNonNull(siteId, "siteId");
    this.signingKey = Objects.requireNonNull(signingKey, "signingKey");
    this.peerKeys = Objects.requireNonNull(peerKeys, "peerKeys");
    this.random = Objects.requireNonNull(random, "random");
    List<String> ps = params.participants();
    for (int i = 0; i < ps.size(); i++) {
      index.put(ps.get(i), i);
    }
    Integer mine = index.get(siteId);
    if (mine == null) {
      throw new IllegalArgumentException("site '" + siteId + "' is not a participant of round "
          + params.round());
    }
    this.me = mine;
    this.graph = new NeighbourGraph(params);
    this.group = graph.group(me);
  }

  /** Round 0: fresh X25519 key pairs, signed with the site's certified key. */
  public AdvertiseKeys advertiseKeys() {
    if (phase != Phase.NEW) {
      throw new IllegalStateException("keys already advertised in round " + params.round());
    }
    cipherSecret = KeyAgreement.generatePrivate(random);
    cipherPublic = KeyAgreement.publicKey(cipherSecret);
    maskSecret = KeyAgreement.generatePrivate(random);
    maskPublic = KeyAgreement.publicKey(maskSecret);
    byte[] signature = signingKey.sign(advertisedTranscript(params.round(), siteId, cipherPublic,
        maskPublic));
    phase = Phase.ADVERTISED;
    return new AdvertiseKeys(params.round(), cipherPublic, maskPublic, signature);
  }

  /**
   * Round 1: checks every group member's signed keys, then Shamir-shares s_sk and a fresh
   * self-mask seed b among the group members that advertised, encrypting each pair of shares for
   * its holder.
   */
  public EncryptedShares shareKeys(KeyList keys) throws SecAggException {
    requirePhase(Phase.ADVERTISED, "key list");
    requireRound(keys.round(), "key list");
    int n = params.participants().size();
    byte[][] cpk = new byte[n][];
    byte[][] spk = new byte[n][];
    Set<String> seenKeys = new HashSet<>();
    boolean[] listed = new boolean[n];
    VerifyingKey[] signing = new VerifyingKey[n];
    byte[][] listedCipher = new byte[n][];
    byte[][] listedMask = new byte[n][];
    for (SiteKeys sk : keys.sites()) {
      int v = indexOf(sk.siteId(), "key list");
      if (listed[v]) {
        throw new SecAggException(Reason.DUPLICATE_SITE,
            "key list: site '" + sk.siteId() + "' listed twice");
      }
      listed[v] = true;
      byte[] c = sk.cipherPublicKey();
      byte[] s = sk.maskPublicKey();
      if (c.length != KeyAgreement.KEY_LENGTH || s.length != KeyAgreement.KEY_LENGTH) {
        throw new SecAggException(Reason.MALFORMED,
            "key list: site '" + sk.siteId() + "' has public keys that are not 32 bytes");
      }
      listedCipher[v] = c;
      listedMask[v] = s;
      if (!inGroup(v)) {
        continue; // SecAgg+: only neighbours' keys are used, so only theirs are checked further.
      }
      if (!seenKeys.add(Arrays.toString(c)) || !seenKeys.add(Arrays.toString(s))) {
        throw new SecAggException(Reason.MALFORMED,
            "key list: site '" + sk.siteId() + "' reuses a public key already in the list");
      }
      VerifyingKey vk = peerKeys.signingKey(sk.siteId(), sk.certificate());
      try {
        vk.verify(advertisedTranscript(params.round(), sk.siteId(), c, s), sk.signature());
      } catch (SignatureException e) {
        throw new SecAggException(Reason.BAD_SIGNATURE,
            "key list: advertised keys of site '" + sk.siteId() + "': " + e.getMessage());
      }
      cpk[v] = c;
      spk[v] = s;
      signing[v] = vk;
    }
    if (cpk[me] == null || !Arrays.equals(cpk[me], cipherPublic)
        || !Arrays.equals(spk[me], maskPublic)) {
      throw new SecAggException(Reason.MALFORMED,
          "key list does not carry the keys this site advertised");
    }
    int[] holders = present(cpk);
    if (holders.length < params.threshold()) {
      throw new SecAggException(Reason.TOO_FEW_SURVIVORS, "key list: " + holders.length
          + " sites of this site's share group advertised keys, threshold is " + params.threshold());
    }
    selfMaskSeed = new byte[Shamir.SECRET_LENGTH];
    random.nextBytes(selfMaskSeed);
    int[] points = new int[holders.length];
    for (int i = 0; i < holders.length; i++) {
      points[i] = holders[i] + 1;
    }
    byte[][] keyShares = Shamir.split(maskSecret, params.threshold(), points, random);
    byte[][] seedShares = Shamir.split(selfMaskSeed, params.threshold(), points, random);
    heldKeyShares = new byte[n][];
    heldSeedShares = new byte[n][];
    byte[][] sharedSecrets = new byte[n][];
    List<EncryptedShare> out = new ArrayList<>(holders.length - 1);
    for (int i = 0; i < holders.length; i++) {
      int v = holders[i];
      if (v == me) {
        heldKeyShares[me] = keyShares[i];
        heldSeedShares[me] = seedShares[i];
        continue;
      }
      String to = params.participants().get(v);
      byte[] plain = new byte[PLAINTEXT_LENGTH];
      System.arraycopy(keyShares[i], 0, plain, 0, Shamir.SHARE_LENGTH);
      System.arraycopy(seedShares[i], 0, plain, Shamir.SHARE_LENGTH, Shamir.SHARE_LENGTH);
      byte[] shared = KeyAgreement.agree(cipherSecret, cpk[v], to);
      sharedSecrets[v] = shared;
      out.add(new EncryptedShare(siteId, to,
          ShareCipher.seal(shared, params.round(), siteId, to, plain, random)));
      Arrays.fill(plain, (byte) 0);
    }
    cipherShared = sharedSecrets;
    peerCipherPublic = cpk;
    peerMaskPublic = spk;
    peerSigning = signing;
    keyListDigest = keyListDigest(params.participants(), listedCipher, listedMask);
    phase = Phase.SHARED;
    return new EncryptedShares(params.round(), out);
  }

  /**
   * Round 2: opens the shares addressed to this site (their senders form U2), and masks the input
   * with PRG(b) and with ±PRG(s_uv) for every neighbour v in U2.
   *
   * @param input values in [0, 2^k), {@code vectorLength} of them
   */
  public MaskedInput maskedInput(EncryptedShares received, long[] input) throws SecAggException {
    Objects.requireNonNull(input, "input");
    if (input.length != params.vectorLength()) {
      throw new IllegalArgumentException("input has " + input.length + " elements, round expects "
          + params.vectorLength());
    }
    long ring = params.ringMask();
    for (int i = 0; i < input.length; i++) {
      if ((input[i] & ~ring) != 0) {
        throw new IllegalArgumentException("input[" + i + "] = " + Long.toUnsignedString(input[i])
            + " is outside [0, 2^" + params.modulusBits() + ")");
      }
    }
    requirePhase(Phase.SHARED, "encrypted shares");
    requireRound(received.round(), "encrypted shares");
    int n = params.participants().size();
    byte[][] keyShares = new byte[n][];
    byte[][] seedShares = new byte[n][];
    keyShares[me] = heldKeyShares[me];
    seedShares[me] = heldSeedShares[me];
    for (EncryptedShare es : received.shares()) {
      if (!es.toSite().equals(siteId)) {
        throw new SecAggException(Reason.MALFORMED, "share from '" + es.fromSite()
            + "' is addressed to '" + es.toSite() + "', not to this site");
      }
      int v = indexOf(es.fromSite(), "encrypted shares");
      if (v == me || !inGroup(v) || peerCipherPublic[v] == null) {
        throw new SecAggException(Reason.UNKNOWN_SITE, "share from '" + es.fromSite()
            + "', which is not a neighbour that advertised keys");
      }
      if (keyShares[v] != null) {
        throw new SecAggException(Reason.DUPLICATE_SITE,
            "two shares from '" + es.fromSite() + "'");
      }
      byte[] plain = ShareCipher.open(cipherShared[v], params.round(), es.fromSite(), siteId,
          es.ciphertext(), PLAINTEXT_LENGTH);
      keyShares[v] = Arrays.copyOfRange(plain, 0, Shamir.SHARE_LENGTH);
      seedShares[v] = Arrays.copyOfRange(plain, Shamir.SHARE_LENGTH, PLAINTEXT_LENGTH);
      Shamir.decode(keyShares[v], es.fromSite());
      Shamir.decode(seedShares[v], es.fromSite());
    }
    int u2 = present(keyShares).length;
    if (u2 < params.threshold()) {
      throw new SecAggException(Reason.TOO_FEW_SURVIVORS, "encrypted shares: " + u2
          + " sites of this site's share group remain, threshold is " + params.threshold());
    }
    long[] y = input.clone();
    MaskPrg prg = new MaskPrg();
    byte[] selfKey = Kdf.derive(selfMaskSeed, "self-mask", params.round(), siteId, "",
        MaskPrg.KEY_LENGTH);
    prg.addTo(selfKey, y, false);
    for (int v : group) {
      if (v == me || keyShares[v] == null) {
        continue;
      }
      byte[] key = pairwiseMaskKey(params, maskSecret, peerMaskPublic[v], me, v);
      prg.addTo(key, y, v < me);
    }
    for (int i = 0; i < y.length; i++) {
      y[i] &= ring;
    }
    heldKeyShares = keyShares;
    heldSeedShares = seedShares;
    phase = Phase.MASKED;
    return new MaskedInput(params.round(), y);
  }

  /**
   * Round 3 (ConsistencyCheck): signs the survivor list U3 once. Refused, and the round ended for
   * this site, unless the list names this site, no site twice, only sites of its share group that
   * it holds shares of (U3 ⊆ U2 as it saw U2), and at least t of them.
   *
   * <p>Signing U3 before unmasking is what stops a server from showing different survivor lists to
   * different sites: {@link #unmask} then answers only a request for this same list that carries t
   * valid signatures over it from the share group, and each honest site signs one list per round, so
   * with t a strict majority of the group no two lists can both gather t honest signatures.
   */
  public ConsistencySignature consistencySignature(ConsistencyCheck check) throws SecAggException {
    if (phase == Phase.SIGNED || phase == Phase.DONE) {
      throw new SecAggException(Reason.REFUSED,
          "a survivor list was already signed or refused in round " + params.round());
    }
    requirePhase(Phase.MASKED, "consistency check");
    requireRound(check.round(), "consistency check");
    phase = Phase.DONE;
    try {
      return sign(check);
    } catch (SecAggException | RuntimeException e) {
      wipe(); // this site takes no further part in the round
      throw e;
    }
  }

  private ConsistencySignature sign(ConsistencyCheck check) throws SecAggException {
    boolean[] listed = new boolean[params.participants().size()];
    for (String id : check.survivors()) {
      int v = indexOf(id, "consistency check");
      if (listed[v]) {
        throw new SecAggException(Reason.DUPLICATE_SITE, "consistency check lists '" + id + "' twice");
      }
      listed[v] = true;
    }
    if (!listed[me]) {
      throw new SecAggException(Reason.REFUSED, "consistency check does not list this site as a survivor");
    }
    int survivors = 0;
    for (int v : group) {
      if (!listed[v]) {
        continue;
      }
      if (heldKeyShares[v] == null) {
        throw new SecAggException(Reason.REFUSED, "consistency check lists '" + params.participants().get(v)
            + "' as surviving, but this site received no shares from it (it is not in U2 as this site saw it)");
      }
      survivors++;
    }
    if (survivors < params.threshold()) {
      throw new SecAggException(Reason.TOO_FEW_SURVIVORS, "consistency check: " + survivors
          + " survivors among the sites this site holds shares of, threshold is " + params.threshold());
    }
    byte[] signature = signingKey.sign(consistencyTranscript(params.round(), keyListDigest, params.participants(),
        listed));
    signedSurvivors = listed;
    phase = Phase.SIGNED;
    return new ConsistencySignature(params.round(), signature);
  }

  /**
   * Round 4 (Unmasking): reveals, for each site of the share group, the s_sk share if the server lists
   * it as dropped and the b share if it lists it as a survivor, never both; answers once per round.
   * Refused unless the survivors are exactly the list this site signed, the request carries valid
   * signatures over that list from at least t of its share group, and the request classifies exactly
   * the sites this site holds shares of (U2 as it saw it).
   */
  public UnmaskShares unmask(UnmaskRequest request) throws SecAggException {
    if (phase == Phase.DONE) {
      throw new SecAggException(Reason.REFUSED,
          "an unmask request was already answered or refused in round " + params.round());
    }
    requirePhase(Phase.SIGNED, "unmask request");
    requireRound(request.round(), "unmask request");
    phase = Phase.DONE;
    try {
      return reveal(request);
    } catch (SecAggException | RuntimeException e) {
      wipe();
      throw e;
    }
  }

  private UnmaskShares reveal(UnmaskRequest request) throws SecAggException {
    int n = params.participants().size();
    byte[] status = new byte[n]; // 0 unlisted, 1 dropped, 2 survivor
    for (String id : request.dropped()) {
      int v = indexOf(id, "unmask request");
      if (status[v] != 0) {
        throw new SecAggException(Reason.DUPLICATE_SITE, "unmask request lists '" + id + "' twice");
      }
      status[v] = 1;
    }
    for (String id : request.survivors()) {
      int v = indexOf(id, "unmask request");
      if (status[v] == 1) {
        throw new SecAggException(Reason.REFUSED, "unmask request lists '" + id
            + "' as both dropped and surviving; revealing both shares would unmask it");
      }
      if (status[v] == 2) {
        throw new SecAggException(Reason.DUPLICATE_SITE, "unmask request lists '" + id + "' twice");
      }
      status[v] = 2;
    }
    if (status[me] != 2) {
      throw new SecAggException(Reason.REFUSED,
          "unmask request does not list this site as a survivor");
    }
    for (int v = 0; v < n; v++) {
      if ((status[v] == 2) != signedSurvivors[v]) {
        throw new SecAggException(Reason.REFUSED, "unmask request lists '" + params.participants().get(v) + "' as "
            + (status[v] == 2 ? "surviving" : "not surviving") + ", unlike the survivor list this site signed");
      }
    }
    checkConsistencySignatures(request.signatures());
    // Bonawitz et al., Fig. 4: a user unmasks only for U3 ⊆ U2 with |U3| ≥ t, U2 as this site
    // saw it (the senders of the shares it received: the sites it masked with). Otherwise a
    // server that routed this site the shares of a few sites only could declare exactly those
    // dropped and others surviving, and collect both this site's b and the mask keys of every
    // site it masked with, i.e. its input. The survivors equal the list this site signed, which
    // already passed the survivor half of these checks; they are repeated here as defence in depth.
    int survivors = 0;
    for (int v : group) {
      String id = params.participants().get(v);
      if (heldKeyShares[v] == null) {
        if (status[v] != 0) {
          throw new SecAggException(Reason.REFUSED, "unmask request lists '" + id + "' as "
              + (status[v] == 2 ? "surviving" : "dropped")
              + ", but this site received no shares from it (it is not in U2 as this site saw it)");
        }
        continue;
      }
      if (status[v] == 0) {
        throw new SecAggException(Reason.MALFORMED, "unmask request does not say whether '"
            + id + "' survived");
      }
      if (status[v] == 2) {
        survivors++;
      }
    }
    if (survivors < params.threshold()) {
      throw new SecAggException(Reason.TOO_FEW_SURVIVORS, "unmask request: " + survivors
          + " survivors among the sites this site holds shares of, threshold is "
          + params.threshold());
    }
    List<RevealedShare> out = new ArrayList<>();
    for (int v : group) {
      if (heldKeyShares[v] == null) {
        continue;
      }
      String owner = params.participants().get(v);
      if (status[v] == 1) {
        out.add(new RevealedShare(owner, ShareKind.MASK_KEY, heldKeyShares[v]));
      } else {
        out.add(new RevealedShare(owner, ShareKind.SELF_MASK, heldSeedShares[v]));
      }
    }
    wipe();
    return new UnmaskShares(params.round(), out);
  }

  /**
   * At least t valid signatures over the signed U3 from sites of this site's share group that are in
   * U3; a signature that does not verify, or one from a site outside U3, refuses the request.
   * Signatures from outside the share group are not counted (SecAgg+: their keys were not checked).
   */
  private void checkConsistencySignatures(List<SurvivorSignature> signatures) throws SecAggException {
    byte[] transcript = consistencyTranscript(params.round(), keyListDigest, params.participants(), signedSurvivors);
    boolean[] seen = new boolean[params.participants().size()];
    int valid = 0;
    for (SurvivorSignature s : signatures) {
      int v = indexOf(s.siteId(), "unmask request signatures");
      if (seen[v]) {
        throw new SecAggException(Reason.DUPLICATE_SITE, "unmask request carries two signatures of '" + s.siteId() + "'");
      }
      seen[v] = true;
      if (!signedSurvivors[v]) {
        throw new SecAggException(Reason.MALFORMED, "unmask request carries a signature of '" + s.siteId()
            + "', which is not a survivor");
      }
      if (!inGroup(v)) {
        continue;
      }
      try {
        peerSigning[v].verify(transcript, s.signature());
      } catch (SignatureException e) {
        throw new SecAggException(Reason.BAD_SIGNATURE, "unmask request: the signature of '" + s.siteId()
            + "' over the survivor list does not verify: " + e.getMessage());
      }
      valid++;
    }
    if (valid < params.threshold()) {
      throw new SecAggException(Reason.REFUSED, "unmask request carries " + valid
          + " valid signatures over the survivor list from this site's share group, threshold is "
          + params.threshold());
    }
  }

  /**
   * What a site signs in round 3: the round, the digest of the key list it received and U3 (the
   * listed participants, in participant order). The key list holds every site's fresh keys of this
   * run, the signer's and the verifier's own among them, so a signature made in another run of the
   * same round number (a coordinator that restarts a round, or runs it twice) never verifies in this
   * one; and sites shown different key lists cannot count each other's signatures.
   */
  static byte[] consistencyTranscript(long round, byte[] keyListDigest, List<String> participants,
      boolean[] survivors) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.writeBytes(Kdf.context("consistency-check", round, "", ""));
    out.writeBytes(keyListDigest);
    for (int v = 0; v < participants.size(); v++) {
      if (survivors[v]) {
        byte[] id = participants.get(v).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.write(id.length >>> 8);
        out.write(id.length);
        out.writeBytes(id);
      }
    }
    return out.toByteArray();
  }

  /**
   * SHA-256 over the listed participants in participant order, each as len‖id ‖ c_pk ‖ s_pk (keys of
   * 32 bytes; {@code cipher[v]} null where v is not listed).
   */
  static byte[] keyListDigest(List<String> participants, byte[][] cipher, byte[][] mask) {
    java.security.MessageDigest md;
    try {
      md = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
    for (int v = 0; v < participants.size(); v++) {
      if (cipher[v] == null) {
        continue;
      }
      byte[] id = participants.get(v).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      md.update((byte) (id.length >>> 8));
      md.update((byte) id.length);
      md.update(id);
      md.update(cipher[v]);
      md.update(mask[v]);
    }
    return md.digest();
  }

  private void wipe() {
    Arrays.fill(cipherSecret, (byte) 0);
    Arrays.fill(maskSecret, (byte) 0);
    Arrays.fill(selfMaskSeed, (byte) 0);
    for (byte[] b : cipherShared) {
      if (b != null) {
        Arrays.fill(b, (byte) 0);
      }
    }
    for (byte[][] held : new byte[][][] {heldKeyShares, heldSeedShares}) {
      for (byte[] b : held) {
        if (b != null) {
          Arrays.fill(b, (byte) 0);
        }
      }
    }
    heldKeyShares = null;
    heldSeedShares = null;
  }

  private boolean inGroup(int v) {
    return v == me || graph.adjacent(me, v);
  }

  private int[] present(byte[][] byIndex) {
    int count = 0;
    for (int v : group) {
      if (byIndex[v] != null) {
        count++;
      }
    }
    int[] out = new int[count];
    int k = 0;
    for (int v : group) {
      if (byIndex[v] != null) {
        out[k++] = v;
      }
    }
    return out;
  }

  private int indexOf(String id, String where) throws SecAggException {
    Integer i = index.get(id);
    if (i == null) {
      throw new SecAggException(Reason.UNKNOWN_SITE,
          where + ": '" + id + "' is not a participant of round " + params.round());
    }
    return i;
  }

  private void requirePhase(Phase expected, String what) throws SecAggException {
    if (phase != expected) {
      throw new SecAggException(Reason.OUT_OF_PHASE,
          what + " arrived while the site is in phase " + phase + ", expected " + expected);
    }
  }

  private void requireRound(long round, String what) throws SecAggException {
    if (round != params.round()) {
      throw new SecAggException(Reason.WRONG_ROUND,
          what + " belongs to round " + round + ", this is round " + params.round());
    }
  }

  static byte[] advertisedTranscript(long round, String site, byte[] cipherPublic,
      byte[] maskPublic) {
    byte[] ctx = Kdf.context("advertise-keys", round, site, "");
    byte[] out = Arrays.copyOf(ctx, ctx.length + 64);
    System.arraycopy(cipherPublic, 0, out, ctx.length, 32);
    System.arraycopy(maskPublic, 0, out, ctx.length + 32, 32);
    return out;
  }

  /** The AES key of the pairwise mask between participants a and b (symmetric in a, b). */
  static byte[] pairwiseMaskKey(SecAggParams params, byte[] mySecret, byte[] peerPublic, int a,
      int b) throws SecAggException {
    int lo = Math.min(a, b);
    int hi = Math.max(a, b);
    String loId = params.participants().get(lo);
    String hiId = params.participants().get(hi);
    byte[] shared = KeyAgreement.agree(mySecret, peerPublic, params.participants().get(b));
    byte[] key = Kdf.derive(shared, "pairwise-mask", params.round(), loId, hiId,
        MaskPrg.KEY_LENGTH);
    Arrays.fill(shared, (byte) 0);
    return key;
  }
}
