package org.fedtel.crypto.secagg;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A malicious server driving a round staged up to the masked inputs ({@link Stage#mask()}): it
 * shows each site whatever survivor list it likes ({@link #show}), keeps every consistency
 * signature it is given, and builds any unmask request with any signatures it holds
 * ({@link #request}, {@link #ask}). It then holds the masked inputs, the advertised mask keys and
 * every share the sites revealed; {@link #input} tries to remove all masks from one site's masked
 * input, which secure aggregation must prevent.
 */
final class Adversary {
  private final Stage stage;
  /** Revealed shares by "owner/kind", then by holder's Shamir point. */
  private final Map<String, TreeMap<Integer, byte[]>> shares = new HashMap<>();
  /** Signatures received, by the survivor list signed (in participant order), then by signer. */
  private final Map<List<String>, Map<String, byte[]>> signed = new HashMap<>();

  Adversary(Stage stage) {
    this.stage = stage;
  }

  /** {@code survivors} as a set in participant order, the form a site signs. */
  private List<String> canonical(List<String> survivors) {
    List<String> out = new ArrayList<>();
    for (String id : stage.params.participants()) {
      if (survivors.contains(id)) {
        out.add(id);
      }
    }
    return out;
  }

  /**
   * Shows {@code site} the survivor list {@code survivors} (round 3); keeps and returns its
   * signature, or returns the site's refusal.
   */
  SecAggException show(String site, List<String> survivors) {
    try {
      ConsistencySignature sig = stage.clients.get(site).consistencySignature(
          new ConsistencyCheck(stage.params.round(), survivors));
      signed.computeIfAbsent(canonical(survivors), k -> new LinkedHashMap<>())
          .put(site, sig.signature());
      return null;
    } catch (SecAggException refused) {
      return refused;
    }
  }

  /** Every signature it holds over exactly {@code survivors} (the best it can relay for that list). */
  List<SurvivorSignature> signaturesOver(List<String> survivors) {
    List<SurvivorSignature> out = new ArrayList<>();
    for (var e : signed.getOrDefault(canonical(survivors), Map.of()).entrySet()) {
      out.add(new SurvivorSignature(e.getKey(), e.getValue()));
    }
    return out;
  }

  /**
   * The unmask request for {@code site} that passes its U2 check (the server routed the shares, so
   * it knows which sites this site holds shares of): those not in {@code survivors} are listed as
   * dropped; it carries every signature held over {@code survivors}.
   */
  UnmaskRequest request(String site, List<String> survivors) {
    List<String> dropped = new ArrayList<>();
    List<String> held = new ArrayList<>();
    held.add(site);
    for (EncryptedShare es : stage.routed.get(site).shares()) {
      held.add(es.fromSite());
    }
    for (String id : stage.params.participants()) {
      if (held.contains(id) && !survivors.contains(id)) {
        dropped.add(id);
      }
    }
    return new UnmaskRequest(stage.params.round(), dropped, survivors, signaturesOver(survivors));
  }

  /** Sends {@code request} to {@code holder} and keeps its answer; false if it refused. */
  boolean ask(String holder, UnmaskRequest request) {
    return refusal(holder, request) == null;
  }

  /** Sends {@code request} to {@code holder} and keeps its answer; its refusal, or null. */
  SecAggException refusal(String holder, UnmaskRequest request) {
    UnmaskShares answer;
    try {
      answer = stage.clients.get(holder).unmask(request);
    } catch (SecAggException refused) {
      return refused;
    }
    keep(holder, answer);
    return null;
  }

  /** Records {@code holder}'s answer as if received in this round. */
  void keep(String holder, UnmaskShares answer) {
    int x = stage.params.participants().indexOf(holder) + 1;
    for (RevealedShare r : answer.shares()) {
      shares.computeIfAbsent(r.ownerSite() + "/" + r.kind(), k -> new TreeMap<>()).put(x, r.share());
    }
  }

  /**
   * Holders (bit i: participant i) that revealed their share of {@code owner}'s {@code kind}
   * secret to this adversary.
   */
  int holders(String owner, ShareKind kind) {
    int bits = 0;
    for (int x : shares.getOrDefault(owner + "/" + kind, new TreeMap<>()).keySet()) {
      bits |= 1 << (x - 1);
    }
    return bits;
  }

  /** The share {@code holder} revealed of {@code owner}'s {@code kind} secret, or null. */
  byte[] share(String owner, ShareKind kind, String holder) {
    var m = shares.get(owner + "/" + kind);
    return m == null ? null : m.get(stage.params.participants().indexOf(holder) + 1);
  }

  /** The secret {@code owner} shared, if at least t shares of it were revealed; else null. */
  byte[] secret(String owner, ShareKind kind) throws SecAggException {
    String key = owner + "/" + kind;
    TreeMap<Integer, byte[]> got = shares.getOrDefault(key, new TreeMap<>());
    if (got.size() < stage.params.threshold()) {
      return null;
    }
    return Shamir.reconstruct(got.keySet().stream().mapToInt(Integer::intValue).toArray(),
        got.values().toArray(new byte[0][]), stage.params.threshold(), key);
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
