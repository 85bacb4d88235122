package org.fedtel.crypto.secagg;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A round driven step by step (all sites honest and present), for bad-input and attack tests. */
final class Stage {
  final SecAggParams params;
  final Federation federation;
  final SecAggServer server;
  final Map<String, SecAggClient> clients = new LinkedHashMap<>();
  final Map<String, AdvertiseKeys> adverts = new LinkedHashMap<>();
  final Map<String, EncryptedShares> sent = new LinkedHashMap<>();
  final long[][] inputs;
  KeyList keys;
  Map<String, EncryptedShares> routed;
  Map<String, MaskedInput> maskedInputs = new LinkedHashMap<>();
  /** The server's survivor list U3 and each site's signature over it, after {@link #sign()}. */
  ConsistencyCheck check;
  final Map<String, ConsistencySignature> signatures = new LinkedHashMap<>();
  UnmaskRequest request;

  Stage(int n, long round, long seed) {
    this(SecAggParams.recommended(round, Federation.sites(n), 32, 6, new byte[32]), seed);
  }

  Stage(SecAggParams params, long seed) {
    this.params = params;
    this.federation = new Federation(params, seed);
    this.server = new SecAggServer(params, federation.peerKeys);
    this.inputs = Federation.inputs(params, seed);
    for (String id : params.participants()) {
      clients.put(id, federation.client(id));
    }
  }

  Stage advertise() throws SecAggException {
    for (var e : clients.entrySet()) {
      AdvertiseKeys a = e.getValue().advertiseKeys();
      adverts.put(e.getKey(), a);
      server.receiveAdvertisement(e.getKey(), new byte[0], a);
    }
    keys = server.keyList();
    return this;
  }

  Stage share() throws SecAggException {
    advertise();
    for (var e : clients.entrySet()) {
      EncryptedShares s = e.getValue().shareKeys(keys);
      sent.put(e.getKey(), s);
      server.receiveShares(e.getKey(), s);
    }
    routed = server.routedShares();
    return this;
  }

  /**
   * Up to and including the masked inputs; the server's MASK phase stays open and no site has
   * signed a survivor list, so an attack test can show each site the list it likes.
   */
  Stage mask() throws SecAggException {
    share();
    return maskAsRouted();
  }

  /**
   * Round 3 after {@link #mask()}: the server closes the MASK phase, every site signs the honest
   * U3 and the server collects the signatures; then {@link #request} is the honest unmask request.
   */
  Stage sign() throws SecAggException {
    check = server.consistencyCheck();
    for (var e : clients.entrySet()) {
      ConsistencySignature sig = e.getValue().consistencySignature(check);
      signatures.put(e.getKey(), sig);
      server.receiveConsistencySignature(e.getKey(), sig);
    }
    request = server.unmaskRequest();
    return this;
  }

  /** Each site masks with the shares {@link #routed} holds for it (a test may alter it first). */
  Stage maskAsRouted() throws SecAggException {
    int i = 0;
    for (var e : clients.entrySet()) {
      MaskedInput m = e.getValue().maskedInput(routed.get(e.getKey()), inputs[i++]);
      maskedInputs.put(e.getKey(), m);
      server.receiveMaskedInput(e.getKey(), m);
    }
    return this;
  }

  List<String> ids() {
    return new ArrayList<>(clients.keySet());
  }
}
