package org.fedtel.benchmarks.crypto;

import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.AdvertiseKeys;
import org.fedtel.crypto.secagg.AggregateResult;
import org.fedtel.crypto.secagg.EncryptedShares;
import org.fedtel.crypto.secagg.KeyList;
import org.fedtel.crypto.secagg.MaskedInput;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.crypto.secagg.SecAggClient;
import org.fedtel.crypto.secagg.SecAggException;
import org.fedtel.crypto.secagg.SecAggParams;
import org.fedtel.crypto.secagg.SecAggServer;
import org.fedtel.crypto.secagg.UnmaskRequest;
import org.fedtel.crypto.secagg.UnmaskShares;

/**
 * One honest round, run once and recorded, so that a benchmark can replay every message into a
 * fresh server, or rerun one site (its randomness is seeded, so it advertises the same keys and
 * the recorded messages of the others stay valid). Sites in {@code dropAfterShare} vanish after
 * sending their shares, which makes the server recover their mask keys.
 */
final class RecordedRound {
  final SecAggParams params;
  final PeerKeys peerKeys;
  final Map<String, SigningKey> signing = new HashMap<>();
  final long[][] inputs;
  final Map<String, AdvertiseKeys> adverts = new LinkedHashMap<>();
  final Map<String, EncryptedShares> shares = new LinkedHashMap<>();
  final Map<String, MaskedInput> masked = new LinkedHashMap<>();
  final Map<String, UnmaskShares> unmask = new LinkedHashMap<>();
  KeyList keyList;
  Map<String, EncryptedShares> routed;
  UnmaskRequest request;

  RecordedRound(SecAggParams params, Set<String> dropAfterShare) throws SecAggException {
    this.params = params;
    Map<String, VerifyingKey> vks = new HashMap<>();
    for (String id : params.participants()) {
      byte[] seed = new byte[32];
      byte[] b = id.getBytes(StandardCharsets.UTF_8);
      System.arraycopy(b, 0, seed, 0, Math.min(32, b.length));
      SigningKey k = SigningKey.fromSeed(seed);
      signing.put(id, k);
      vks.put(id, k.verifyingKey());
    }
    peerKeys = PeerKeys.of(vks);
    SplittableRandom r = new SplittableRandom(1);
    inputs = new long[params.participants().size()][params.vectorLength()];
    for (long[] row : inputs) {
      for (int i = 0; i < row.length; i++) {
        row[i] = r.nextLong() & params.ringMask();
      }
    }
    List<SecAggClient> clients = new ArrayList<>();
    SecAggServer server = new SecAggServer(params, peerKeys);
    for (String id : params.participants()) {
      SecAggClient c = client(id);
      clients.add(c);
      AdvertiseKeys a = c.advertiseKeys();
      adverts.put(id, a);
      server.receiveAdvertisement(id, new byte[0], a);
    }
    keyList = server.keyList();
    for (int i = 0; i < clients.size(); i++) {
      String id = params.participants().get(i);
      EncryptedShares s = clients.get(i).shareKeys(keyList);
      shares.put(id, s);
      server.receiveShares(id, s);
    }
    routed = server.routedShares();
    for (int i = 0; i < clients.size(); i++) {
      String id = params.participants().get(i);
      if (dropAfterShare.contains(id)) {
        continue;
      }
      MaskedInput m = clients.get(i).maskedInput(routed.get(id), inputs[i]);
      masked.put(id, m);
      server.receiveMaskedInput(id, m);
    }
    request = server.unmaskRequest();
    for (int i = 0; i < clients.size(); i++) {
      String id = params.participants().get(i);
      if (masked.containsKey(id)) {
        UnmaskShares u = clients.get(i).unmask(request);
        unmask.put(id, u);
        server.receiveUnmaskShares(id, u);
      }
    }
    server.aggregate();
  }

  SecAggClient client(String id) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(("bench:" + id).getBytes(StandardCharsets.UTF_8));
      return new SecAggClient(params, id, signing.get(id), peerKeys, r);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A fresh server fed every recorded message. */
  AggregateResult replayServer() throws SecAggException {
    SecAggServer server = new SecAggServer(params, peerKeys);
    for (var e : adverts.entrySet()) {
      server.receiveAdvertisement(e.getKey(), new byte[0], e.getValue());
    }
    server.keyList();
    for (var e : shares.entrySet()) {
      server.receiveShares(e.getKey(), e.getValue());
    }
    server.routedShares();
    for (var e : masked.entrySet()) {
      server.receiveMaskedInput(e.getKey(), e.getValue());
    }
    server.unmaskRequest();
    for (var e : unmask.entrySet()) {
      server.receiveUnmaskShares(e.getKey(), e.getValue());
    }
    return server.aggregate();
  }

  /** Site {@code id}'s whole round again, against the recorded messages of the others. */
  UnmaskShares replayClient(String id) throws SecAggException {
    SecAggClient c = client(id);
    c.advertiseKeys();
    c.shareKeys(keyList);
    c.maskedInput(routed.get(id), inputs[params.participants().indexOf(id)]);
    return c.unmask(request);
  }

  static List<String> sites(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("site-" + i);
    }
    return out;
  }

  /** Every tenth site (site-9, site-19, …) when {@code percent} is 10; none when 0. */
  static Set<String> drops(int n, int percent) {
    Set<String> out = new java.util.HashSet<>();
    if (percent > 0) {
      int every = 100 / percent;
      for (int i = every - 1; i < n; i += every) {
        out.add("site-" + i);
      }
    }
    return out;
  }
}
