package org.fedtel.coordinator.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedtel.ledger.Ledger;
import org.fedtel.ledger.MerkleProofs;
import org.fedtel.ledger.MerkleTree;
import org.fedtel.ledger.SyntheticLedger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DashboardServerTest {
  static final long SEED = 5;
  static Path dir;
  static Ledger ledger;
  static DashboardServer server;
  static final HttpClient http = HttpClient.newHttpClient();

  static final LiveSource LIVE = new LiveSource() {
    @Override
    public List<SiteLink> sites() {
      return List.of(new SiteLink(SyntheticLedger.siteId(0), true, 1_764_000_000_000L), new SiteLink(SyntheticLedger.siteId(1), false, -1));
    }

    @Override
    public Optional<RoundProgress> currentRound() {
      return Optional.of(new RoundProgress(4, "masked-input", 3, 2, 1_764_000_000_000L));
    }

    @Override
    public List<RoundStats> roundStats() {
      return List.of(new RoundStats(1, 0.25, Map.of("f1", 0.5)), new RoundStats(2, 0.125, Map.of()));
    }

    @Override
    public long bytesIn() {
      return 1234;
    }

    @Override
    public long bytesOut() {
      return 5678;
    }
  };

  @BeforeAll
  static void start() throws Exception {
    if (server != null) {
      return;
    }
    dir = java.nio.file.Files.createTempDirectory("fedtel-dashboard-ledger");
    SyntheticLedger.write(dir, 4, 3, SEED, true);
    ledger = Ledger.open(dir, SyntheticLedger.genesis(SEED), SyntheticLedger.coordinatorKey(SEED), Clock.systemUTC());
    server = DashboardServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), false, LedgerSource.of(ledger), LIVE);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
      ledger.close();
      server = null;
    }
  }

  static HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesThePageAndItsLocalAssets() throws Exception {
    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("<script src=\"/assets/app.js\""));
    assertFalse(page.body().contains("https://"), "no asset from outside");
    assertEquals(200, get("/assets/app.js").statusCode());
    assertEquals(200, get("/assets/style.css").statusCode());
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
  }

  @Test
  void statusCountsRoundsAndShowsTheLiveRound() throws Exception {
    String s = get("/api/status").body();
    assertTrue(s.contains("\"consortium\":\"test-consortium\""), s);
    assertTrue(s.contains("\"rounds_committed\":3"), s);
    assertTrue(s.contains("\"ledger_size\":" + ledger.size()), s);
    assertTrue(s.contains("\"phase\":\"masked-input\""), s);
    assertTrue(s.contains("\"sites_connected\":1"), s);
  }

  @Test
  void roundsAndSitesComeFromTheLedger() throws Exception {
    String rounds = get("/api/rounds").body();
    assertTrue(rounds.contains("\"round\":3,\"status\":\"committed\""), rounds);
    assertTrue(rounds.contains("\"train_loss\":0.25"), rounds);
    String sites = get("/api/sites").body();
    for (int s = 0; s < 4; s++) {
      assertTrue(sites.contains("\"site\":\"" + SyntheticLedger.siteId(s) + "\""), sites);
    }
    assertTrue(sites.contains("\"connected\":true"), sites);
    assertTrue(sites.matches("(?s).*\"site\":\"site-00\",\"epsilon_spent\":[1-9][0-9.]*,.*"), "epsilon spent is recorded: " + sites);
  }

  @Test
  void roundsCarryEveryMetricAndTheEpsilonEachSiteWasChargedThatRound() throws Exception {
    String rounds = get("/api/rounds").body();
    // Live metrics by name, whatever they are; an empty object where a round has none.
    assertTrue(rounds.contains("\"train_loss\":0.25,\"metrics\":{\"f1\":0.5}"), rounds);
    assertTrue(rounds.contains("\"train_loss\":0.125,\"metrics\":{}"), rounds);
    assertTrue(rounds.contains("\"train_loss\":null,\"metrics\":{}"), "round 3 has no live statistics: " + rounds);
    // ε charged per site in round 1: exactly the round ε of each data use of round 1 in the ledger.
    java.util.Map<String, Double> expected = new java.util.TreeMap<>();
    for (long i = 1; i < ledger.size(); i++) {
      org.fedtel.ledger.v1.Entry e = org.fedtel.ledger.v1.Entry.parseFrom(ledger.entry(i));
      if (e.hasDataUse()) {
        org.fedtel.ledger.v1.DataUseBody b = org.fedtel.ledger.v1.DataUseBody.parseFrom(e.getDataUse().getBody());
        if (b.getRound() == 1) {
          expected.merge(b.getSiteId(), b.getRoundEpsilon(), Double::sum);
        }
      }
    }
    assertFalse(expected.isEmpty(), "the synthetic ledger has data uses in round 1");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{\"round\":1,.*?\"epsilon_charged\":\\{([^}]*)\\}").matcher(rounds);
    assertTrue(m.find(), rounds);
    java.util.Map<String, Double> charged = new java.util.TreeMap<>();
    for (String kv : m.group(1).split(",")) {
      String[] p = kv.split(":");
      charged.put(p[0].replace("\"", ""), Double.parseDouble(p[1]));
    }
    assertEquals(expected, charged);
  }

  @Test
  void entriesPageNewestFirstAndFilter() throws Exception {
    String all = get("/api/ledger/entries?limit=2").body();
    assertTrue(all.contains("\"total\":" + ledger.size()), all);
    assertTrue(all.contains("\"index\":" + (ledger.size() - 1)), all);
    String uses = get("/api/ledger/entries?kind=data_use&site=" + SyntheticLedger.siteId(0) + "&limit=500").body();
    assertFalse(uses.contains("\"kind\":\"round_committed\""), uses);
    assertTrue(uses.contains("\"site\":\"site-00\""), uses);
    assertEquals(400, get("/api/ledger/entries?kind=nonsense").statusCode());
    assertEquals(400, get("/api/ledger/entries?limit=0").statusCode());
    assertEquals(400, get("/api/ledger/entries?round=x").statusCode());
  }

  @Test
  void entryAndProofVerifyAgainstTheLatestCheckpoint() throws Exception {
    long i = 2;
    String entry = get("/api/ledger/entries/" + i).body();
    byte[] stored = ledger.entry(i);
    assertTrue(entry.contains(java.util.Base64.getEncoder().encodeToString(stored)), entry);
    String proof = get("/api/ledger/proof/" + i).body();
    long size = ledger.checkpoints().lastKey();
    assertTrue(proof.contains("\"size\":" + size), proof);
    // The proof served verifies with the ledger module's verifier against the ledger's root.
    List<byte[]> path = new java.util.ArrayList<>();
    String arr = proof.substring(proof.indexOf("\"proof\":[") + 9, proof.indexOf(']', proof.indexOf("\"proof\":[")));
    for (String h : arr.split(",")) {
      if (!h.isBlank()) {
        path.add(java.util.HexFormat.of().parseHex(h.replace("\"", "")));
      }
    }
    MerkleProofs.verifyInclusion(i, size, MerkleTree.leafHash(stored), path, ledger.root(size));
    assertEquals(404, get("/api/ledger/entries/" + ledger.size()).statusCode());
    assertEquals(400, get("/api/ledger/proof/" + (size + 5) + "?size=" + size).statusCode());
    assertEquals(400, get("/api/ledger/entries/-1").statusCode());
  }

  @Test
  void metricsAreInPrometheusTextFormat() throws Exception {
    HttpResponse<String> r = get("/metrics");
    assertEquals(200, r.statusCode());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    String m = r.body();
    assertTrue(m.contains("# TYPE fedtel_rounds_total counter\nfedtel_rounds_total{outcome=\"committed\"} 3\n"), m);
    assertTrue(m.contains("fedtel_round_duration_seconds_count 3\n"), m);
    assertTrue(m.contains("fedtel_epsilon_spent{site=\"site-00\"}"), m);
    assertTrue(m.contains("fedtel_bytes_received_total 1234\n"), m);
    for (String line : m.split("\n")) {
      assertTrue(line.startsWith("#") || line.matches("[a-z_]+(\\{[a-z]+=\"[^\"]*\"\\})? [-+0-9.eEInfNa]+"), "bad line: " + line);
    }
  }

  @Test
  void anythingButGetIsRefused() throws Exception {
    for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/status"))
          .method(method, HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(405, r.statusCode(), method);
      assertEquals("GET", r.headers().firstValue("Allow").orElse(""));
    }
    assertEquals(404, get("/api/nothing").statusCode());
  }

  @Test
  void bindsToLoopbackUnlessAllowed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DashboardServer.start(
        new InetSocketAddress("0.0.0.0", 0), false, LedgerSource.of(ledger), null));
    assertTrue(e.getMessage().contains("loopback"), e.getMessage());
  }
}
