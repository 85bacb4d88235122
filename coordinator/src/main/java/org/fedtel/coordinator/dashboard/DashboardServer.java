package org.fedtel.coordinator.dashboard;

import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.fedtel.ledger.LedgerException;
import org.fedtel.ledger.NoteSignature;
import org.fedtel.ledger.SignedNote;
import org.fedtel.ledger.v1.DataUse;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-only dashboard: one HTML page with local assets, a JSON API, and Prometheus metrics at
 * {@code /metrics}. Serves a live coordinator (ledger and {@link LiveSource}) or an offline copy of
 * a ledger ({@code fedtel ledger serve}). Binds to loopback unless told otherwise; anything but GET
 * is refused with 405.
 *
 * <pre>
 * GET /                              the page
 * GET /assets/{app.js,style.css}     its assets
 * GET /api/status                    consortium, ledger size, rounds, current round (live)
 * GET /api/rounds                    every round: sampled, survivors, dropped, duration, ε charged, loss, metrics
 * GET /api/sites                     every site: epsilon spent / declared, connection (live)
 * GET /api/ledger/entries?offset=&limit=&kind=&site=&round=   newest first
 * GET /api/ledger/entries/{i}        one entry: fields, stored bytes (base64), leaf hash
 * GET /api/ledger/checkpoints        signed checkpoints with their signers
 * GET /api/ledger/proof/{i}?size=N   inclusion proof of entry i (default: latest checkpoint)
 * GET /metrics                       Prometheus text format
 * </pre>
 */
public final class DashboardServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DashboardServer.class);
  private static final int MAX_PAGE = 500;
  private static final double[] DURATION_BUCKETS = {0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600};

  private final HttpServer server;
  private final ExecutorService executor;
  private final LedgerSource ledger;
  private final LiveSource live;
  private final LedgerIndex index;

  private DashboardServer(HttpServer server, ExecutorService executor, LedgerSource ledger, LiveSource live) {
    this.server = server;
    this.executor = executor;
    this.ledger = ledger;
    this.live = live;
    this.index = new LedgerIndex(ledger);
  }

  /**
   * Starts the dashboard.
   *
   * @param bind address and port (port 0 picks a free port)
   * @param allowNonLoopback whether {@code bind} may be other than a loopback address
   * @param live the running coordinator's view, or {@code null} for an offline ledger
   */
  public static DashboardServer start(InetSocketAddress bind, boolean allowNonLoopback, LedgerSource ledger, LiveSource live)
      throws IOException {
    Objects.requireNonNull(ledger, "ledger");
    if (bind.getAddress() == null) {
      throw new IllegalArgumentException("cannot resolve the dashboard address " + bind.getHostString());
    }
    if (!bind.getAddress().isLoopbackAddress() && !allowNonLoopback) {
      throw new IllegalArgumentException("the dashboard binds to loopback only unless explicitly allowed; "
          + bind.getAddress().getHostAddress() + " is not a loopback address");
    }
    HttpServer http = HttpServer.create(bind, 16);
    ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "fedtel-dashboard");
      t.setDaemon(true);
      return t;
    });
    DashboardServer d = new DashboardServer(http, pool, ledger, live);
    http.createContext("/", d::handle);
    http.setExecutor(pool);
    http.start();
    LOG.info("dashboard on http://{}:{}/", bind.getAddress().getHostAddress(), d.port());
    return d;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("GET")) {
        ex.getResponseHeaders().set("Allow", "GET");
        send(ex, 405, "application/json", error("the dashboard is read-only: " + ex.getRequestMethod() + " is not allowed"));
        return;
      }
      URI uri = ex.getRequestURI();
      String path = uri.getPath();
      Map<String, String> q = query(uri.getRawQuery());
      try {
        route(ex, path, q);
      } catch (BadRequest e) {
        send(ex, e.status, "application/json", error(e.getMessage()));
      } catch (IllegalArgumentException e) {
        send(ex, 400, "application/json", error(e.getMessage()));
      } catch (IOException | LedgerException | RuntimeException e) {
        LOG.warn("dashboard request {} failed: {}", path, e.toString());
        send(ex, 500, "application/json", error("internal error: " + e.getMessage()));
      }
    }
  }

  private void route(HttpExchange ex, String path, Map<String, String> q) throws IOException, LedgerException, BadRequest {
    switch (path) {
      case "/", "/index.html" -> asset(ex, "index.html", "text/html; charset=utf-8");
      case "/assets/app.js" -> asset(ex, "app.js", "text/javascript; charset=utf-8");
      case "/assets/style.css" -> asset(ex, "style.css", "text/css; charset=utf-8");
      case "/api/status" -> json(ex, status());
      case "/api/rounds" -> json(ex, rounds());
      case "/api/sites" -> json(ex, sites());
      case "/api/ledger/entries" -> json(ex, entries(q));
      case "/api/ledger/checkpoints" -> json(ex, checkpoints());
      case "/metrics" -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics());
      default -> {
        if (path.startsWith("/api/ledger/entries/")) {
          json(ex, entry(parseIndex(path.substring("/api/ledger/entries/".length()))));
        } else if (path.startsWith("/api/ledger/proof/")) {
          json(ex, proof(parseIndex(path.substring("/api/ledger/proof/".length())), q.get("size")));
        } else {
          throw new BadRequest(404, "no such resource: " + path);
        }
      }
    }
  }

  private String status() throws IOException, LedgerException {
    index.refresh();
    Json j = new Json().beginObject()
        .field("consortium", index.consortiumId)
        .field("origin", index.origin)
        .field("live", live != null)
        .field("ledger_size", index.size())
        .field("sites_enrolled", index.sites.size());
    long committed = index.rounds.values().stream().filter(r -> r.status.equals("committed")).count();
    long aborted = index.rounds.values().stream().filter(r -> r.status.equals("aborted")).count();
    j.field("rounds_committed", committed).field("rounds_aborted", aborted);
    NavigableMap<Long, SignedNote> cps = ledger.checkpoints();
    j.field("latest_checkpoint_size", cps.isEmpty() ? 0 : cps.lastKey());
    j.name("current_round");
    Optional<LiveSource.RoundProgress> current = live == null ? Optional.empty() : live.currentRound();
    if (current.isPresent()) {
      LiveSource.RoundProgress p = current.get();
      j.beginObject().field("round", p.round()).field("phase", p.phase()).field("sampled", p.sampled())
          .field("responded", p.responded()).field("started", p.startedEpochMillis()).endObject();
    } else {
      j.nullValue();
    }
    if (live != null) {
      j.field("sites_connected", live.sites().stream().filter(LiveSource.SiteLink::connected).count());
    }
    return j.endObject().toString();
  }

  private String rounds() throws IOException {
    index.refresh();
    Map<Long, LiveSource.RoundStats> stats = new HashMap<>();
    if (live != null) {
      for (LiveSource.RoundStats s : live.roundStats()) {
        stats.put(s.round(), s);
      }
    }
    Json j = new Json().beginArray();
    for (LedgerIndex.Round r : index.rounds.values()) {
      j.beginObject().field("round", r.round).field("status", r.status);
      strings(j.name("sampled"), r.sampled);
      strings(j.name("survivors"), r.survivors);
      strings(j.name("dropped"), r.dropped);
      j.field("started", r.startedMillis);
      j.name("duration_ms");
      if (r.startedMillis >= 0 && r.endedMillis >= 0) {
        j.value(r.endedMillis - r.startedMillis);
      } else {
        j.nullValue();
      }
      j.field("max_round_epsilon", r.maxRoundEpsilon);
      j.name("epsilon_charged").beginObject();
      r.epsilonCharged.forEach((site, eps) -> j.field(site, eps.doubleValue()));
      j.endObject();
      j.field("abort_reason", r.abortReason).field("model_sha256", r.modelSha256);
      LiveSource.RoundStats s = stats.get(r.round);
      j.name("train_loss");
      if (s != null) {
        j.value(s.trainLoss());
      } else {
        j.nullValue();
      }
      // Every metric the round produced, whatever its name (empty offline and for rounds without any).
      j.name("metrics").beginObject();
      if (s != null) {
        s.metrics().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> j.field(e.getKey(), e.getValue()));
      }
      j.endObject();
      j.endObject();
    }
    return j.endArray().toString();
  }

  private String sites() throws IOException {
    index.refresh();
    Map<String, LiveSource.SiteLink> links = new HashMap<>();
    if (live != null) {
      for (LiveSource.SiteLink l : live.sites()) {
        links.put(l.siteId(), l);
      }
    }
    Json j = new Json().beginArray();
    for (LedgerIndex.Site s : index.sites.values()) {
      j.beginObject().field("site", s.id).field("epsilon_spent", s.spentEpsilon).field("epsilon_budget", s.budgetEpsilon)
          .field("delta", s.budgetDelta).field("data_uses", s.dataUses).field("exhausted", s.exhausted)
          .field("enrolled_entry", s.enrolledIndex).field("signing_key", s.signingKeyHex);
      LiveSource.SiteLink l = links.get(s.id);
      j.name("connected");
      if (l == null) {
        j.nullValue();
      } else {
        j.value(l.connected());
      }
      j.name("last_seen");
      if (l == null || l.lastSeenEpochMillis() < 0) {
        j.nullValue();
      } else {
        j.value(l.lastSeenEpochMillis());
      }
      j.endObject();
    }
    return j.endArray().toString();
  }

  private String entries(Map<String, String> q) throws IOException {
    index.refresh();
    long offset = parseLong(q.get("offset"), 0, "offset");
    int limit = (int) parseLong(q.get("limit"), 50, "limit");
    if (offset < 0 || limit < 1 || limit > MAX_PAGE) {
      throw new IllegalArgumentException("offset must be >= 0 and limit in 1.." + MAX_PAGE);
    }
    Long round = q.containsKey("round") ? parseLong(q.get("round"), 0, "round") : null;
    LedgerIndex.Page page = index.page(q.get("kind"), q.get("site"), round, offset, limit);
    Json j = new Json().beginObject().field("total", page.total()).field("offset", offset).name("entries").beginArray();
    for (long i : page.indexes()) {
      j.beginObject().field("index", i).field("kind", index.kind(i)).field("timestamp", index.timestamp(i));
      long r = index.round(i);
      j.name("round");
      if (r >= 0) {
        j.value(r);
      } else {
        j.nullValue();
      }
      j.field("site", index.site(i)).endObject();
    }
    return j.endArray().endObject().toString();
  }

  private String entry(long i) throws IOException, BadRequest {
    index.refresh();
    if (i >= index.size()) {
      throw new BadRequest(404, "no entry " + i + "; the ledger has " + index.size() + " entries");
    }
    byte[] bytes = ledger.entry(i);
    Entry e = Entry.parseFrom(bytes);
    Json j = new Json().beginObject().field("index", i).field("kind", index.kind(i))
        .field("timestamp", e.getTimestampMillis())
        .field("previous_hash", hex(e.getPreviousHash().toByteArray()))
        .field("bytes_base64", Base64.getEncoder().encodeToString(bytes))
        .field("leaf_hash", hex(org.fedtel.ledger.MerkleTree.leafHash(bytes)));
    j.name("fields");
    fields(j, e);
    return j.endObject().toString();
  }

  private static void fields(Json j, Entry e) throws InvalidProtocolBufferException {
    j.beginObject();
    switch (e.getKindCase()) {
      case GENESIS -> j.field("consortium_id", e.getGenesis().getConsortiumId()).field("origin", e.getGenesis().getOrigin())
          .field("ca_certificate_sha256", hex(e.getGenesis().getCaCertificateSha256().toByteArray()))
          .field("coordinator_key", hex(e.getGenesis().getCoordinatorKey().toByteArray()));
      case SITE_ENROLLED -> j.field("site_id", e.getSiteEnrolled().getSiteId())
          .field("certificate_sha256", hex(e.getSiteEnrolled().getCertificateSha256().toByteArray()))
          .field("signing_key", hex(e.getSiteEnrolled().getSigningKey().toByteArray()))
          .field("budget_epsilon", e.getSiteEnrolled().getBudgetEpsilon()).field("budget_delta", e.getSiteEnrolled().getBudgetDelta());
      case ROUND_STARTED -> {
        j.field("round", e.getRoundStarted().getRound()).field("config_sha256", hex(e.getRoundStarted().getConfigSha256().toByteArray()));
        strings(j.name("sampled_sites"), e.getRoundStarted().getSampledSitesList());
      }
      case DATA_USE -> {
        DataUse use = e.getDataUse();
        DataUseBody b = DataUseBody.parseFrom(use.getBody());
        j.field("round", b.getRound()).field("site_id", b.getSiteId()).field("dataset_sha256", hex(b.getDatasetSha256().toByteArray()))
            .field("record_count", b.getRecordCount()).field("privacy_mode", b.getPrivacyMode().name())
            .field("clip_norm", b.getClipNorm()).field("noise_multiplier", b.getNoiseMultiplier())
            .field("sampling_rate", b.getSamplingRate()).field("steps", b.getSteps()).field("delta", b.getDelta())
            .field("accountant", b.getAccountant()).field("round_epsilon", b.getRoundEpsilon())
            .field("cumulative_epsilon", b.getCumulativeEpsilon())
            .field("site_signature", hex(use.getSiteSignature().toByteArray()))
            .field("coordinator_signature", hex(use.getCoordinatorSignature().toByteArray()));
      }
      case ROUND_COMMITTED -> {
        var c = e.getRoundCommitted();
        j.field("round", c.getRound());
        strings(j.name("survivors"), c.getSurvivorsList());
        strings(j.name("dropped"), c.getDroppedList());
        j.field("aggregate_sha256", hex(c.getAggregateSha256().toByteArray())).field("model_sha256", hex(c.getModelSha256().toByteArray()));
      }
      case ROUND_ABORTED -> j.field("round", e.getRoundAborted().getRound()).field("reason", e.getRoundAborted().getReason());
      case BUDGET_EXHAUSTED -> j.field("site_id", e.getBudgetExhausted().getSiteId())
          .field("spent_epsilon", e.getBudgetExhausted().getSpentEpsilon()).field("budget_epsilon", e.getBudgetExhausted().getBudgetEpsilon());
      case MODEL_RELEASED -> j.field("round", e.getModelReleased().getRound()).field("name", e.getModelReleased().getName())
          .field("model_sha256", hex(e.getModelReleased().getModelSha256().toByteArray()));
      default -> j.field("unknown", true);
    }
    j.endObject();
  }

  private String checkpoints() throws IOException, LedgerException {
    Json j = new Json().beginArray();
    for (Map.Entry<Long, SignedNote> c : ledger.checkpoints().entrySet()) {
      checkpoint(j, c.getKey(), c.getValue());
    }
    return j.endArray().toString();
  }

  private static void checkpoint(Json j, long size, SignedNote note) {
    String[] lines = note.text().split("\n");
    j.beginObject().field("size", size).field("origin", lines[0]).field("root_base64", lines.length > 2 ? lines[2] : "")
        .field("note", note.encode());
    j.name("signers").beginArray();
    for (NoteSignature s : note.signatures()) {
      j.value(s.name());
    }
    j.endArray().endObject();
  }

  private String proof(long i, String sizeParam) throws IOException, LedgerException, BadRequest {
    index.refresh();
    NavigableMap<Long, SignedNote> cps = ledger.checkpoints();
    long size;
    if (sizeParam != null) {
      size = parseLong(sizeParam, 0, "size");
    } else if (!cps.isEmpty()) {
      size = cps.lastKey();
    } else {
      throw new BadRequest(404, "the ledger has no signed checkpoint yet; give ?size=");
    }
    if (size < 1 || size > index.size()) {
      throw new IllegalArgumentException("size must be in 1.." + index.size() + ", was " + size);
    }
    if (i >= size) {
      throw new IllegalArgumentException("entry " + i + " is not in the tree of size " + size);
    }
    Json j = new Json().beginObject().field("index", i).field("size", size)
        .field("leaf_hash", hex(org.fedtel.ledger.MerkleTree.leafHash(ledger.entry(i))));
    j.name("proof").beginArray();
    for (byte[] h : ledger.inclusionProof(i, size)) {
      j.value(hex(h));
    }
    j.endArray();
    j.name("checkpoint");
    SignedNote note = cps.get(size);
    if (note != null) {
      checkpoint(j, size, note);
    } else {
      j.nullValue();
    }
    return j.endObject().toString();
  }

  private String metrics() throws IOException, LedgerException {
    index.refresh();
    StringBuilder m = new StringBuilder();
    long committed = 0;
    long aborted = 0;
    long dropouts = 0;
    long[] buckets = new long[DURATION_BUCKETS.length];
    double durationSum = 0;
    long durationCount = 0;
    for (LedgerIndex.Round r : index.rounds.values()) {
      if (r.status.equals("committed")) {
        committed++;
        dropouts += r.dropped.size();
      } else if (r.status.equals("aborted")) {
        aborted++;
      }
      if (r.startedMillis >= 0 && r.endedMillis >= 0) {
        double seconds = (r.endedMillis - r.startedMillis) / 1000.0;
        durationSum += seconds;
        durationCount++;
        for (int b = 0; b < DURATION_BUCKETS.length; b++) {
          if (seconds <= DURATION_BUCKETS[b]) {
            buckets[b]++;
          }
        }
      }
    }
    help(m, "fedtel_rounds_total", "counter", "Rounds that ended, by outcome.");
    m.append("fedtel_rounds_total{outcome=\"committed\"} ").append(committed).append('\n');
    m.append("fedtel_rounds_total{outcome=\"aborted\"} ").append(aborted).append('\n');
    help(m, "fedtel_round_duration_seconds", "histogram", "Time from round start to commit or abort.");
    for (int b = 0; b < DURATION_BUCKETS.length; b++) {
      m.append("fedtel_round_duration_seconds_bucket{le=\"").append(DURATION_BUCKETS[b]).append("\"} ").append(buckets[b]).append('\n');
    }
    m.append("fedtel_round_duration_seconds_bucket{le=\"+Inf\"} ").append(durationCount).append('\n');
    m.append("fedtel_round_duration_seconds_sum ").append(durationSum).append('\n');
    m.append("fedtel_round_duration_seconds_count ").append(durationCount).append('\n');
    help(m, "fedtel_dropouts_total", "counter", "Sampled sites that dropped out of committed rounds.");
    m.append("fedtel_dropouts_total ").append(dropouts).append('\n');
    help(m, "fedtel_ledger_entries", "gauge", "Durable ledger entries.");
    m.append("fedtel_ledger_entries ").append(index.size()).append('\n');
    help(m, "fedtel_epsilon_spent", "gauge", "Epsilon spent by each site, as recorded in the ledger.");
    for (LedgerIndex.Site s : index.sites.values()) {
      m.append("fedtel_epsilon_spent{site=\"").append(label(s.id)).append("\"} ").append(prom(s.spentEpsilon)).append('\n');
    }
    help(m, "fedtel_epsilon_budget", "gauge", "Declared epsilon budget of each site.");
    for (LedgerIndex.Site s : index.sites.values()) {
      m.append("fedtel_epsilon_budget{site=\"").append(label(s.id)).append("\"} ").append(prom(s.budgetEpsilon)).append('\n');
    }
    if (live != null) {
      help(m, "fedtel_bytes_received_total", "counter", "Bytes received on the wire port.");
      m.append("fedtel_bytes_received_total ").append(live.bytesIn()).append('\n');
      help(m, "fedtel_bytes_sent_total", "counter", "Bytes sent on the wire port.");
      m.append("fedtel_bytes_sent_total ").append(live.bytesOut()).append('\n');
      help(m, "fedtel_sites_connected", "gauge", "Sites connected now.");
      m.append("fedtel_sites_connected ").append(live.sites().stream().filter(LiveSource.SiteLink::connected).count()).append('\n');
    }
    return m.toString();
  }

  private static void help(StringBuilder m, String name, String type, String help) {
    m.append("# HELP ").append(name).append(' ').append(help).append('\n');
    m.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private static String prom(double v) {
    return Double.isNaN(v) ? "NaN" : Double.isInfinite(v) ? (v > 0 ? "+Inf" : "-Inf") : Double.toString(v);
  }

  private static String label(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static void strings(Json j, List<String> values) {
    j.beginArray();
    for (String v : values) {
      j.value(v);
    }
    j.endArray();
  }

  private void asset(HttpExchange ex, String name, String type) throws IOException {
    try (InputStream in = DashboardServer.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("dashboard asset " + name + " is missing from the jar");
      }
      send(ex, 200, type, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static void json(HttpExchange ex, String body) throws IOException {
    send(ex, 200, "application/json", body);
  }

  private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String error(String message) {
    return new Json().beginObject().field("error", message).endObject().toString();
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String part : raw.split("&")) {
      int eq = part.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
      if (!v.isEmpty()) {
        q.put(k, v);
      }
    }
    return q;
  }

  private static long parseIndex(String text) {
    long i = parseLong(text, -1, "entry index");
    if (i < 0) {
      throw new IllegalArgumentException("entry index must be >= 0, was " + text);
    }
    return i;
  }

  private static long parseLong(String text, long dflt, String what) {
    if (text == null) {
      return dflt;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be an integer, was '" + text + "'");
    }
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  /** An HTTP error with its status. */
  private static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    BadRequest(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "dashboard on port %d", port());
  }
}
