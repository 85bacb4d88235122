package org.fedtel.crypto.secagg;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a malicious server holds after a round driven through a {@link Stage}: the masked inputs,
 * the advertised mask keys and every share the sites revealed to it. {@link #input} tries to
 * remove all masks from one site's masked input, which secure aggregation must prevent.
 */
final class Adversary {
  private final Stage stage;
  private final Map<String, List<Integer>> points = new HashMap<>();
  private final Map<String, List<byte[]>> shares = new HashMap<>();

  Adversary(Stage stage) {
    this.stage = stage;
  }

  /** Sends {@code request} to {@code holder} and keeps its answer; false if it refused. */
  boolean ask(String holder, UnmaskRequest request) {
    UnmaskShares answer;
    try {
      answer = stage.clients.get(holder).unmask(request);
    } catch (SecAggException refused) {
      return false;
    }
    int x = stage.params.participants().indexOf(holder) + 1;
    for (RevealedShare r : answer.shares()) {
      String key = r.ownerSite() + "/" + r.kind();
      points.computeIfAbsent(key, k -> new ArrayList<>()).add(x);
      shares.computeIfAbsent(key, k -> new ArrayList<>()).add(r.share());
    }
    return true;
  }

  /** The secret {@code owner} shared, if at least t shares of it were revealed; else null. */
  byte[] secret(String owner, ShareKind kind) throws SecAggException {
    String key = owner + "/" + kind;
    List<Integer> xs = points.getOrDefault(key, List.of());
    if (xs.size() < stage.params.threshold()) {
      return null;
    }
    return Shamir.reconstruct(xs.stream().mapToInt(Integer::intValue).toArray(),
        shares.get(key).toArray(new byte[0][]), stage.params.threshold(), key);
  }

  /**
   * The victim's input, if the revealed shares give its self-mask seed b and, for each site it
   * masked with, the pairwise mask key (from the victim's s_sk or the peer's); else null.
   */
  long[] input(String victim, List<String> maskedWith) throws SecAggException {
    SecAggParams p = stage.params;
    byte[] seed = secret(victim, ShareKind.SELF_MASK);
    if (seed == null) {
      return null;
    }
    long[] z = stage.maskedInputs.get(victim).values();
    MaskPrg prg = new MaskPrg();
    prg.addTo(Kdf.derive(seed, "self-mask", p.round(), victim, "", MaskPrg.KEY_LENGTH), z, true);
    byte[] own = secret(victim, ShareKind.MASK_KEY);
    int me = p.participants().indexOf(victim);
    for (String peer : maskedWith) {
      int v = p.participants().indexOf(peer);
      byte[] key;
      if (own != null) {
        key = SecAggClient.pairwiseMaskKey(p, own, stage.adverts.get(peer).maskPublicKey(), me, v);
      } else {
        byte[] theirs = secret(peer, ShareKind.MASK_KEY);
        if (theirs == null) {
          return null;
        }
        key = SecAggClient.pairwiseMaskKey(p, theirs, stage.adverts.get(victim).maskPublicKey(),
            v, me);
      }
      prg.addTo(key, z, v > me); // the victim subtracted the mask where v < me
    }
    for (int i = 0; i < z.length; i++) {
      z[i] &= p.ringMask();
    }
    return z;
  }
}
