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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.AdvertiseKeys;
import org.fedtel.crypto.secagg.AggregateResult;
import org.fedtel.crypto.secagg.ConsistencyCheck;
import org.fedtel.crypto.secagg.ConsistencySignature;
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
  final Map<String, ConsistencySignature> signatures = new LinkedHashMap<>();
  final Map<String, UnmaskShares> unmask = new LinkedHashMap<>();
  KeyList keyList;
  Map<String, EncryptedShares> routed;
  ConsistencyCheck check;
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
    // The sites' work (n − 1 signature checks, 2(n − 1) X25519 agreements and two Shamir splits
    // per site) dominates recording, and sites are independent within a phase: run each phase's
    // client steps on all cores, then feed the server in participant order. Every site has its own
    // seeded randomness, so the recording does not depend on the thread count.
    List<String> ids = params.participants();
    int n = ids.size();
    SecAggServer server = new SecAggServer(params, peerKeys);
    ExecutorService pool = Executors.newFixedThreadPool(
        Runtime.getRuntime().availableProcessors());
    try {
      SecAggClient[] clients = new SecAggClient[n];
      AdvertiseKeys[] a = parallel(pool, n, i -> {
        clients[i] = client(ids.get(i));
        return clients[i].advertiseKeys();
      }, AdvertiseKeys[]::new);
      for (int i = 0; i < n; i++) {
        adverts.put(ids.get(i), a[i]);
        server.receiveAdvertisement(ids.get(i), new byte[0], a[i]);
      }
      keyList = server.keyList();
      EncryptedShares[] s = parallel(pool, n, i -> clients[i].shareKeys(keyList),
          EncryptedShares[]::new);
      for (int i = 0; i < n; i++) {
        shares.put(ids.get(i), s[i]);
        server.receiveShares(ids.get(i), s[i]);
      }
      routed = server.routedShares();
      MaskedInput[] m = parallel(pool, n, i -> dropAfterShare.contains(ids.get(i)) ? null
          : clients[i].maskedInput(routed.get(ids.get(i)), inputs[i]), MaskedInput[]::new);
      for (int i = 0; i < n; i++) {
        if (m[i] != null) {
          masked.put(ids.get(i), m[i]);
          server.receiveMaskedInput(ids.get(i), m[i]);
        }
      }
      check = server.consistencyCheck();
      ConsistencySignature[] c = parallel(pool, n, i -> m[i] == null ? null : clients[i].consistencySignature(check),
          ConsistencySignature[]::new);
      for (int i = 0; i < n; i++) {
        if (c[i] != null) {
          signatures.put(ids.get(i), c[i]);
          server.receiveConsistencySignature(ids.get(i), c[i]);
        }
      }
      request = server.unmaskRequest();
      UnmaskShares[] u = parallel(pool, n, i -> m[i] == null ? null : clients[i].unmask(request),
          UnmaskShares[]::new);
      for (int i = 0; i < n; i++) {
        if (u[i] != null) {
          unmask.put(ids.get(i), u[i]);
          server.receiveUnmaskShares(ids.get(i), u[i]);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    server.aggregate();
  }

  private interface SiteStep<T> {
    T run(int site) throws SecAggException;
  }

  /** step(0..n−1) on the pool, results in site order; a SecAggException of a site is rethrown. */
  private static <T> T[] parallel(ExecutorService pool, int n, SiteStep<T> step,
      IntFunction<T[]> array) throws SecAggException {
    List<Future<T>> futures = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int site = i;
      futures.add(pool.submit(() -> step.run(site)));
    }
    T[] out = array.apply(n);
    for (int i = 0; i < n; i++) {
      try {
        out[i] = futures.get(i).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while recording the round", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof SecAggException se) {
          throw se;
        }
        throw new IllegalStateException("site " + i + " failed while recording", e.getCause());
      }
    }
    return out;
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
    server.consistencyCheck();
    for (var e : signatures.entrySet()) {
      server.receiveConsistencySignature(e.getKey(), e.getValue());
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
    c.consistencySignature(check);
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
