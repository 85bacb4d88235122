package org.fedtel.crypto.secagg;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.VerifyingKey;

/** Test harness: an honest server and honest sites running one round in process, with dropouts. */
final class Federation {
  /**
   * When a site vanishes. AFTER_MASK: its masked input is in the sum but it never signs the
   * survivor list; AFTER_CHECK: it signed the survivor list but never answers the unmask request.
   */
  enum Drop { NEVER, BEFORE_ADVERTISE, AFTER_ADVERTISE, AFTER_SHARE, AFTER_MASK, AFTER_CHECK }

  final SecAggParams params;
  final Map<String, SigningKey> signing = new LinkedHashMap<>();
  final PeerKeys peerKeys;
  final long seed;

  Federation(SecAggParams params, long seed) {
    this.params = params;
    this.seed = seed;
    Map<String, VerifyingKey> vks = new HashMap<>();
    for (String id : params.participants()) {
      SigningKey k = SigningKey.generate(seeded(seed, "sign:" + id));
      signing.put(id, k);
      vks.put(id, k.verifyingKey());
    }
    peerKeys = PeerKeys.of(vks);
  }

  static List<String> sites(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("site-" + i);
    }
    return out;
  }

  static SecureRandom seeded(long seed, String label) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed((seed + ":" + label).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return r;
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static long[][] inputs(SecAggParams p, long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    long[][] x = new long[p.participants().size()][p.vectorLength()];
    for (long[] row : x) {
      for (int i = 0; i < row.length; i++) {
        row[i] = r.nextLong() & p.ringMask();
      }
    }
    return x;
  }

  /** The plain sum mod 2^k over the sites whose masked input the server received. */
  static long[] expectedSum(SecAggParams p, long[][] inputs, List<String> survivors) {
    long[] s = new long[p.vectorLength()];
    for (String id : survivors) {
      long[] x = inputs[p.participants().indexOf(id)];
      for (int i = 0; i < s.length; i++) {
        s[i] += x[i];
      }
    }
    for (int i = 0; i < s.length; i++) {
      s[i] &= p.ringMask();
    }
    return s;
  }

  SecAggClient client(String id) {
    return new SecAggClient(params, id, signing.get(id), peerKeys, seeded(seed, "client:" + id));
  }

  /**
   * Runs the round. A site that throws (e.g. its share group fell below t) counts as dropped at
   * that point, as it would in a deployment. Returns the server's result; server errors propagate.
   */
  AggregateResult run(long[][] inputs, Map<String, Drop> drops) throws SecAggException {
    SecAggServer server = new SecAggServer(params, peerKeys);
    Map<String, SecAggClient> live = new LinkedHashMap<>();
    for (String id : params.participants()) {
      if (drops.getOrDefault(id, Drop.NEVER) == Drop.BEFORE_ADVERTISE) {
        continue;
      }
      SecAggClient c = client(id);
      server.receiveAdvertisement(id, new byte[0], c.advertiseKeys());
      if (drops.getOrDefault(id, Drop.NEVER) != Drop.AFTER_ADVERTISE) {
        live.put(id, c);
      }
    }
    KeyList keys = server.keyList();
    for (var it = live.entrySet().iterator(); it.hasNext();) {
      var e = it.next();
      try {
        server.receiveShares(e.getKey(), e.getValue().shareKeys(keys));
      } catch (SecAggException ex) {
        it.remove();
        continue;
      }
      if (drops.getOrDefault(e.getKey(), Drop.NEVER) == Drop.AFTER_SHARE) {
        it.remove();
      }
    }
    Map<String, EncryptedShares> routed = server.routedShares();
    for (var it = live.entrySet().iterator(); it.hasNext();) {
      var e = it.next();
      try {
        long[] x = inputs[params.participants().indexOf(e.getKey())];
        server.receiveMaskedInput(e.getKey(), e.getValue().maskedInput(routed.get(e.getKey()), x));
      } catch (SecAggException ex) {
        it.remove();
        continue;
      }
      if (drops.getOrDefault(e.getKey(), Drop.NEVER) == Drop.AFTER_MASK) {
        it.remove();
      }
    }
    ConsistencyCheck check = server.consistencyCheck();
    for (var it = live.entrySet().iterator(); it.hasNext();) {
      var e = it.next();
      ConsistencySignature sig;
      try {
        sig = e.getValue().consistencySignature(check);
      } catch (SecAggException ex) {
        it.remove(); // this site refuses to sign (e.g. too few of its group survive): it drops
        continue;
      }
      server.receiveConsistencySignature(e.getKey(), sig); // an honest signature must be accepted
      if (drops.getOrDefault(e.getKey(), Drop.NEVER) == Drop.AFTER_CHECK) {
        it.remove();
      }
    }
    UnmaskRequest request = server.unmaskRequest();
    for (var e : live.entrySet()) {
      try {
        server.receiveUnmaskShares(e.getKey(), e.getValue().unmask(request));
      } catch (SecAggException ex) {
        // this site refuses (e.g. too few signatures from its group): it counts as dropped after
        // signing
      }
    }
    return server.aggregate();
  }

  /** The first {@code count} sites of a seeded shuffle of the participants drop at {@code when}. */
  static Map<String, Drop> randomDrops(SecAggParams p, int count, Drop when, long seed) {
    List<String> ids = new ArrayList<>(p.participants());
    java.util.Collections.shuffle(ids, new java.util.Random(seed));
    Map<String, Drop> out = new HashMap<>();
    for (int i = 0; i < count; i++) {
      out.put(ids.get(i), when);
    }
    return out;
  }
}
