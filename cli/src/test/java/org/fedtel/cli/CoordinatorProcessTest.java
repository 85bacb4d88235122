package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedtel.crypto.ConsortiumCa;
import org.fedtel.crypto.SiteCredentials;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.ledger.AuditReport;
import org.fedtel.ledger.LedgerAudit;
import org.fedtel.ledger.LedgerEntries;
import org.fedtel.ledger.NoteVerifier;
import org.fedtel.ledger.Witness;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.v1.AdvertiseKeys;
import org.fedtel.protocol.v1.ConsistencyCheck;
import org.fedtel.protocol.v1.ConsistencySignature;
import org.fedtel.protocol.v1.EncryptedShare;
import org.fedtel.protocol.v1.KeyList;
import org.fedtel.protocol.v1.MaskedInput;
import org.fedtel.protocol.v1.UnmaskRequest;
import org.fedtel.protocol.v1.UnmaskShares;
import org.fedtel.siteagent.AutoencoderTrainer;
import org.fedtel.siteagent.DataUseAccount;
import org.fedtel.siteagent.SecAggClient;
import org.fedtel.siteagent.SecureAggregation;
import org.fedtel.siteagent.SiteClient;
import org.fedtel.siteagent.SiteSession;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedtel coordinator --config F} as a separate JVM (the test classpath and
 * {@link Main}, since the shaded jar is only built after the tests), with three site agents
 * in-process over loopback mutual TLS: its dashboard over HTTP while rounds run, and a SIGKILL in the
 * middle of a round followed by a restart of the same command.
 */
class CoordinatorProcessTest {
  static final int SITES = 3;
  static final Duration WAIT = Duration.ofSeconds(45);
  static final Pattern DASHBOARD_LINE = Pattern.compile("dashboard on http://([0-9.]+):(\\d+)/");
  static final Pattern RESUMING_LINE = Pattern.compile("coordinator listening on .* \\(resuming after round (\\d+)\\)");

  @TempDir Path dir;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final List<Coordinator> coordinators = new ArrayList<>();
  final List<SiteClient> clients = new ArrayList<>();
  int wirePort;

  @BeforeEach
  void consortium() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("ca"), "test", Clock.systemUTC(), new SecureRandom());
    ca.issueCoordinator(List.of());
    try (ServerSocket s = new ServerSocket(0)) {
      wirePort = s.getLocalPort();
    }
    StringBuilder sites = new StringBuilder();
    for (int i = 1; i <= SITES; i++) {
      ca.issueSite("site-" + i);
      sites.append(i > 1 ? ", " : "").append("\"ca/sites/site-").append(i).append("/cert.pem\"");
    }
    for (int i = 1; i <= SITES; i++) {
      FederationCommandsTest.writeCsv(dir.resolve("site-" + i + ".csv"), i, i);
      ConfigFiles.site(dir, i, wirePort, sites.toString(), 0, "");
    }
    Files.writeString(dir.resolve("sites.list"), sites.toString());
  }

  @AfterEach
  void stopEverything() {
    for (Coordinator c : coordinators) {
      c.process.destroyForcibly();
    }
    for (SiteClient c : clients) {
      c.close();
    }
  }

  void writeCoordinatorConfig(int rounds) throws IOException {
    ConfigFiles.coordinator(dir, wirePort, Files.readString(dir.resolve("sites.list")), "127.0.0.1:0", rounds, 2, 60, "distributed");
  }

  /** A {@code fedtel coordinator} process; its stdout and stderr lines are collected as they come. */
  static final class Coordinator {
    final Process process;
    final List<String> lines = Collections.synchronizedList(new ArrayList<>());

    Coordinator(Path config, Path log) throws IOException {
      String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      process = new ProcessBuilder(javaBin, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
          Main.class.getName(), "coordinator", "--config", config.toString())
          .redirectErrorStream(true).start();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            lines.add(line);
            Files.writeString(log, line + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
          }
        } catch (IOException e) {
          lines.add("(output reader stopped: " + e + ")");
        }
      }, "coordinator-output");
      reader.setDaemon(true);
      reader.start();
    }

    /** The first output line matching {@code pattern}, waiting for it (fails if the process exits first). */
    Matcher awaitLine(Pattern pattern) throws InterruptedException {
      long end = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < end) {
        synchronized (lines) {
          for (String l : lines) {
            Matcher m = pattern.matcher(l);
            if (m.find()) {
              return m;
            }
          }
        }
        if (!process.isAlive()) {
          throw new AssertionError("the coordinator exited with " + process.exitValue() + " before printing /" + pattern + "/:\n"
              + String.join("\n", lines));
        }
        Thread.sleep(20); // polling the collected output; the deadline above is the timeout
      }
      throw new AssertionError("timed out waiting for /" + pattern + "/ in:\n" + String.join("\n", lines));
    }

    String output() {
      synchronized (lines) {
        return String.join("\n", lines);
      }
    }
  }

  Coordinator startCoordinator() throws IOException {
    Coordinator c = new Coordinator(dir.resolve("coordinator.toml"), dir.resolve("coordinator-" + coordinators.size() + ".log"));
    coordinators.add(c);
    return c;
  }

  /** Site agents as {@code fedtel site} builds them from its file, but with a short reconnect backoff. */
  record Site(String id, PrivacyBudget budget, SiteClient client) {}

  Site startSite(int i, Hold hold) throws Exception {
    SiteCommand.Settings s = SiteCommand.read(dir.resolve("site-" + i + ".toml"));
    SiteCredentials cred = s.credentials();
    AutoencoderConfig model = new AutoencoderConfig(s.inputs(), s.hidden(), Activation.RELU, Activation.IDENTITY);
    AutoencoderTrainer trainer = AutoencoderTrainer.fromRawWindows(model, s.scaler(), s.rawTrain(), new SecureRandom());
    PrivacyBudget budget = new PrivacyBudget(s.budgetEpsilon(), s.budgetDelta());
    Witness witness = new Witness(cred.siteId(), cred.signingKey(), NoteVerifier.of(s.consortium() + "/ledger", s.coordinatorKey()));
    PeerKeys peers = PeerKeys.certifiedOrKnown(cred.trust().peerKeys(), s.peers()); // the coordinator relays certificates
    SecureRandom random = new SecureRandom();
    SecAggClient.Factory secagg = SecureAggregation.client(cred.signingKey(), peers, random);
    SecAggClient.Factory held = hold == null ? secagg : hold.around(secagg);
    // One account per agent, outliving its connections, as `fedtel site` keeps it.
    DataUseAccount account = new DataUseAccount();
    SiteClient client = new SiteClient(() -> new SiteSession(cred.siteId(), budget, trainer, held, cred.signingKey(), witness)
        .account(account),
        SiteClient.tls(cred.tlsPrivateKey(), cred.certificateChain(), cred.caCertificate()), s.coordinator(), 50, 400);
    clients.add(client);
    client.start();
    return new Site(cred.siteId(), budget, client);
  }

  /** Where a site is held in one round: in secure aggregation's masking step (after it has trained and charged its budget) or unmasking step. */
  enum Step { MASK, UNMASK }

  /** Holds one site at {@code step} of {@code round} until released, so that the round is surely in progress. */
  static final class Hold {
    final long round;
    final Step step;
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch released = new CountDownLatch(1);

    Hold(long round, Step step) {
      this.round = round;
      this.step = step;
    }

    private void at(Step s, long r) {
      if (s != step || r != round) {
        return;
      }
      entered.countDown();
      try {
        if (!released.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never released round " + r);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    SecAggClient.Factory around(SecAggClient.Factory inner) {
      return (r, siteId, params, privacy, length) -> {
        SecAggClient c = inner.create(r, siteId, params, privacy, length);
        return new SecAggClient() {
          @Override
          public AdvertiseKeys advertise() {
            return c.advertise();
          }

          @Override
          public List<EncryptedShare> shares(KeyList keys) throws RejectedMessageException {
            return c.shares(keys);
          }

          @Override
          public void receiveShares(List<EncryptedShare> shares) throws RejectedMessageException {
            c.receiveShares(shares);
          }

          @Override
          public MaskedInput mask(double[] input) throws RejectedMessageException {
            at(Step.MASK, r);
            return c.mask(input);
          }

          @Override
          public ConsistencySignature sign(ConsistencyCheck check) throws RejectedMessageException {
            return c.sign(check);
          }

          @Override
          public UnmaskShares unmask(UnmaskRequest request) throws RejectedMessageException {
            at(Step.UNMASK, r);
            return c.unmask(request);
          }
        };
      };
    }
  }

  // ---------------------------------------------------------------- HTTP and JSON

  HttpResponse<String> get(URI base, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  Object getJson(URI base, String path) throws IOException, InterruptedException {
    HttpResponse<String> r = get(base, path);
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), path);
    return JsonText.parse(r.body());
  }

  /** Polls {@code path} until {@code condition} holds of its JSON, and returns that JSON. */
  Object awaitJson(URI base, String path, Predicate<Object> condition, String what) throws Exception {
    long end = System.nanoTime() + WAIT.toNanos();
    Object last = null;
    while (System.nanoTime() < end) {
      last = getJson(base, path);
      if (condition.test(last)) {
        return last;
      }
      Thread.sleep(50); // polling a condition; the deadline above is the timeout
    }
    throw new AssertionError("timed out waiting for " + what + "; last " + path + ": " + last);
  }

  static URI dashboard(Coordinator c) throws InterruptedException {
    Matcher m = c.awaitLine(DASHBOARD_LINE);
    return URI.create("http://" + m.group(1) + ":" + m.group(2) + "/");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> obj(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> arr(Object o) {
    return (List<Object>) o;
  }

  static double num(Object o) {
    return ((Number) o).doubleValue();
  }

  static double committedRounds(String metrics) {
    Matcher m = Pattern.compile("(?m)^fedtel_rounds_total\\{outcome=\"committed\"\\} (\\S+)$").matcher(metrics);
    assertTrue(m.find(), "no committed-rounds counter in:\n" + metrics);
    return Double.parseDouble(m.group(1));
  }

  // ---------------------------------------------------------------- the dashboard of a running coordinator

  @Test
  void theCoordinatorProcessServesItsDashboardWhileRoundsRun() throws Exception {
    writeCoordinatorConfig(5);
    Coordinator coordinator = startCoordinator();
    URI base = dashboard(coordinator);
    assertEquals("127.0.0.1", base.getHost(), "the dashboard binds to loopback by default");
    // site-3 holds round 3 in its unmask step, so that the checks below see a steady state: two
    // rounds committed and the third in progress; released further down, the remaining rounds run.
    Hold hold = new Hold(3, Step.UNMASK);
    for (int i = 1; i <= SITES; i++) {
      startSite(i, i == SITES ? hold : null);
    }
    assertTrue(hold.entered.await(WAIT.toSeconds(), TimeUnit.SECONDS), "round 3 never reached site-3\n" + coordinator.output());

    Map<String, Object> status = obj(awaitJson(base, "api/status",
        s -> num(obj(s).get("rounds_committed")) == 2 && obj(s).get("current_round") != null
            && "unmask".equals(obj(obj(s).get("current_round")).get("phase"))
            && num(obj(obj(s).get("current_round")).get("responded")) == 2, "two committed rounds, the third unmasking"));
    assertEquals(Map.of("round", 3.0, "phase", "unmask", "sampled", 3.0, "responded", 2.0),
        Map.of("round", obj(status.get("current_round")).get("round"), "phase", obj(status.get("current_round")).get("phase"),
            "sampled", obj(status.get("current_round")).get("sampled"), "responded", obj(status.get("current_round")).get("responded")),
        "the round in progress: " + status);
    assertEquals(3.0, num(status.get("sites_connected")), status.toString());
    assertEquals(true, status.get("live"));
    assertEquals("test", status.get("consortium"));
    assertEquals(3.0, num(status.get("sites_enrolled")));
    assertTrue(num(status.get("latest_checkpoint_size")) > 0, "a signed checkpoint after each committed round");

    String metrics1 = get(base, "metrics").body();
    double committed1 = committedRounds(metrics1);
    assertEquals(2, committed1, metrics1);

    List<Object> rounds = arr(getJson(base, "api/rounds"));
    int committedSeen = 0;
    for (Object o : rounds) {
      Map<String, Object> r = obj(o);
      if (!r.get("status").equals("committed")) {
        continue;
      }
      committedSeen++;
      assertEquals(3, arr(r.get("sampled")).size(), r.toString());
      assertEquals(List.of("site-1", "site-2", "site-3"), arr(r.get("survivors")), r.toString());
      assertEquals(List.of(), arr(r.get("dropped")), r.toString());
      assertTrue(num(r.get("duration_ms")) >= 0, r.toString());
      assertTrue(num(r.get("max_round_epsilon")) > 0, "distributed DP charges each round: " + r);
      // Live: the coordinator's own record of the round (a number, or "NaN" when the round carried no loss).
      assertNotNull(r.get("train_loss"), "the live coordinator reports the training loss: " + r);
      if (r.get("train_loss") instanceof Number loss) {
        assertTrue(Double.isFinite(loss.doubleValue()), r.toString());
      } else {
        assertEquals("NaN", r.get("train_loss"), r.toString());
      }
      Map<String, Object> charged = obj(r.get("epsilon_charged"));
      assertEquals(List.of("site-1", "site-2", "site-3"), new ArrayList<>(charged.keySet()), r.toString());
      for (Object eps : charged.values()) {
        assertEquals(num(r.get("max_round_epsilon")), num(eps), 1e-12, "the same mechanism for every site: " + r);
      }
      assertNotNull(r.get("metrics"), r.toString());
    }
    assertEquals(2, committedSeen, rounds.toString());
    Map<String, Object> running = obj(rounds.get(rounds.size() - 1));
    assertEquals(List.of(3.0, "running"), List.of(running.get("round"), running.get("status")), running.toString());

    List<Object> sites = arr(getJson(base, "api/sites"));
    assertEquals(3, sites.size(), sites.toString());
    for (Object o : sites) {
      Map<String, Object> s = obj(o);
      assertTrue(num(s.get("epsilon_spent")) > 0, "every site has spent some ε: " + s);
      assertEquals(100.0, num(s.get("epsilon_budget")), s.toString());
      assertTrue(num(s.get("data_uses")) >= 2, s.toString());
      assertNotNull(s.get("connected"), "live: connection state is known: " + s);
    }

    assertTrue(metrics1.contains("# TYPE fedtel_rounds_total counter"), metrics1);
    assertTrue(metrics1.contains("# TYPE fedtel_round_duration_seconds histogram"), metrics1);
    assertTrue(Pattern.compile("(?m)^fedtel_epsilon_spent\\{site=\"site-1\"\\} [0-9.]+$").matcher(metrics1).find(), metrics1);
    assertTrue(Pattern.compile("(?m)^fedtel_bytes_received_total [1-9][0-9]*$").matcher(metrics1).find(), metrics1);
    for (String line : metrics1.split("\n")) {
      assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ")
          || line.matches("[a-z_]+(\\{[a-z]+=\"[^\"]*\"(,[a-z]+=\"[^\"]*\")*\\})? \\S+"), "Prometheus text format: " + line);
    }
    HttpResponse<String> m = get(base, "metrics");
    assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"), m.headers().toString());
    browserShowsEveryRoundSeries(base, rounds);

    // The counter goes up while the federation trains.
    hold.released.countDown();
    long end = System.nanoTime() + WAIT.toNanos();
    while (committedRounds(get(base, "metrics").body()) <= committed1) {
      assertTrue(System.nanoTime() < end, "the committed-rounds counter never increased past " + committed1);
      Thread.sleep(50); // polling a condition
    }

    HttpResponse<String> post = http.send(HttpRequest.newBuilder(base.resolve("api/status"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode(), post.body());
    assertEquals(Optional.of("GET"), post.headers().firstValue("Allow"));
    HttpResponse<String> delete = http.send(HttpRequest.newBuilder(base.resolve("api/rounds")).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, delete.statusCode());

    // Bound to loopback only: the same port on this host's other addresses refuses the connection.
    for (InetAddress a : nonLoopbackAddresses()) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(a, base.getPort()), 2000);
        throw new AssertionError("the dashboard answers on " + a.getHostAddress() + ":" + base.getPort());
      } catch (ConnectException expected) {
        // refused: nothing listens there
      }
    }

    assertTrue(coordinator.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), coordinator.output());
    assertEquals(0, coordinator.process.exitValue(), coordinator.output());
    assertTrue(coordinator.output().contains("done: 5 rounds"), coordinator.output());
  }

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  /**
   * The page in headless Chromium (as {@code DashboardBrowserTest} runs it): a table column and a
   * learning curve for every metric the rounds API carries, whatever its name, and the curves of what
   * the coordinator records itself (duration, survivors, ε charged). Skipped where Chromium is not
   * installed, except under {@code CI=true}.
   */
  void browserShowsEveryRoundSeries(URI base, List<Object> rounds) throws Exception {
    if (!Files.isExecutable(CHROMIUM)) {
      assertFalse("true".equals(System.getenv("CI")), "chromium is required in CI (.ci/run installs it)");
      System.err.println("CoordinatorProcessTest: chromium is not installed; the page itself is not checked");
      return;
    }
    Path profile = Files.createTempDirectory(dir, "chromium");
    String dom = chromium(profile, "--dump-dom", base.toString());
    assertTrue(dom.contains("round 3: unmask"), "the round in progress is shown");
    for (String id : List.of("duration-curve", "survivors-curve", "epsilon-curve")) {
      assertTrue(dom.contains("id=\"" + id + "\""), id + " drawn:\n" + dom);
    }
    java.util.Set<String> keys = new java.util.TreeSet<>();
    for (Object o : rounds) {
      keys.addAll(obj(obj(o).get("metrics")).keySet());
    }
    for (String k : keys) {
      assertTrue(dom.contains("<th>" + k + "</th>"), "a column for metric " + k);
      // A curve needs two rounds with a finite value (under DP noise, e.g. val_f1 exists only in rounds
      // whose noisy count of validating sites reaches one half).
      long points = rounds.stream().filter(o -> obj(obj(o).get("metrics")).get(k) instanceof Number v
          && Double.isFinite(v.doubleValue())).count();
      String id = "id=\"" + (k.equals("train_loss") ? "learning-curve" : "metric-" + k) + "\"";
      assertEquals(points >= 2, dom.contains(id), "a curve for metric " + k + " exactly when it has two points: " + rounds);
    }
    if (rounds.stream().filter(o -> obj(o).get("train_loss") instanceof Number).count() >= 2) {
      assertTrue(dom.contains("id=\"learning-curve\""), "the training loss curve");
    }
    // Kept as a test artifact, like DashboardBrowserTest's.
    Path shot = Path.of("target", "coordinator-dashboard.png").toAbsolutePath();
    Files.deleteIfExists(shot);
    chromium(profile, "--screenshot=" + shot, "--window-size=1200,1600", base.toString());
    assertTrue(Files.size(shot) > 10_000, "screenshot written to " + shot);
  }

  static String chromium(Path profile, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--user-data-dir=" + profile, "--virtual-time-budget=10000"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "chromium did not finish");
      assertEquals(0, p.exitValue(), "chromium exit status");
      return out;
    } finally {
      p.destroyForcibly();
    }
  }

  static List<InetAddress> nonLoopbackAddresses() throws IOException {
    List<InetAddress> out = new ArrayList<>();
    for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nif.isUp() || nif.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(nif.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
          out.add(a);
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- SIGKILL mid-round and restart

  /**
   * Killed while site-3 holds its unmask shares of round 3: every site has released its data use and
   * masked input of round 3, all recorded in the ledger, and the coordinator waits in the unmask phase.
   */
  @Test
  void aCoordinatorKilledMidRoundAndRestartedResumesAndTheLedgerVerifies() throws Exception {
    killMidRoundAndRestart(Step.UNMASK, Map.of("site-1", 5, "site-2", 5, "site-3", 5));
  }

  /**
   * Killed while site-3 is between its charge and its release in round 3 (it has trained and charged
   * its budget, and is masking): its data use of round 3 never reaches the ledger. Before sites asked
   * on reconnect which of their charged rounds the ledger holds (Hello.unconfirmed_rounds), site-3
   * signed that charge into the cumulative ε of its next data use and `fedtel ledger verify` failed
   * ("cumulative ε of 'site-3' is recorded as 25.93 but recomputes to 21.44"). Site-3 keeps the charge
   * in its own budget (it never learned whether its input was used), above the ledger's figure.
   */
  @Test
  void aCoordinatorKilledWhileASiteIsBetweenChargeAndReleaseLeavesAVerifiableLedger() throws Exception {
    killMidRoundAndRestart(Step.MASK, Map.of("site-1", 5, "site-2", 5, "site-3", 4));
  }

  void killMidRoundAndRestart(Step held, Map<String, Integer> expectedUses) throws Exception {
    int rounds = 5;
    long killedRound = 3;
    writeCoordinatorConfig(rounds);
    Coordinator first = startCoordinator();
    URI base = dashboard(first);
    Hold hold = new Hold(killedRound, held);
    List<Site> sites = new ArrayList<>();
    for (int i = 1; i <= SITES; i++) {
      sites.add(startSite(i, i == SITES ? hold : null));
    }
    // Round 3 is surely in progress: site-3 is held in it, and the data uses of round 3 that the
    // coordinator can have recorded (the other sites', and site-3's once it is unmasking) are durable.
    assertTrue(hold.entered.await(WAIT.toSeconds(), TimeUnit.SECONDS), "round " + killedRound + " never reached site-3\n" + first.output());
    int usesBeforeKill = held == Step.UNMASK ? SITES : SITES - 1;
    awaitJson(base, "api/ledger/entries?kind=data_use&round=" + killedRound,
        p -> num(obj(p).get("total")) == usesBeforeKill, usesBeforeKill + " data uses of round " + killedRound);
    Map<String, Object> current = obj(obj(getJson(base, "api/status")).get("current_round"));
    assertEquals((double) killedRound, num(current.get("round")), current.toString());
    assertEquals(held == Step.UNMASK ? "unmask" : "mask", current.get("phase"), current.toString());

    first.process.destroyForcibly(); // SIGKILL: no shutdown hook, nothing more on the wire
    assertTrue(first.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertFalse(first.output().contains("round " + killedRound + " committed"), first.output());
    hold.released.countDown(); // site-3 carries on, for a coordinator that is gone

    Coordinator second = startCoordinator();
    Matcher resumed = second.awaitLine(RESUMING_LINE);
    assertEquals(killedRound - 1, Long.parseLong(resumed.group(1)), "resumes from the last committed round\n" + second.output());
    assertTrue(second.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "the restarted coordinator never finished:\n" + second.output());
    assertEquals(0, second.process.exitValue(), second.output());
    for (Site s : sites) {
      assertTrue(s.client().connections() >= 2, s.id() + " reconnected by itself: " + s.client().connections() + " connection(s)");
    }

    // The ledger: every round started once, round 3 aborted, the others committed.
    Path ledgerDir = dir.resolve("coord").resolve("ledger");
    List<Long> started = new ArrayList<>();
    Map<Long, String> outcome = new TreeMap<>();
    Map<String, Integer> uses = new TreeMap<>();
    Map<String, Double> recorded = new TreeMap<>();
    Optional<String> torn = LedgerEntries.read(ledgerDir, (index, e, stored) -> {
      switch (e.getKindCase()) {
        case ROUND_STARTED -> started.add(e.getRoundStarted().getRound());
        case ROUND_COMMITTED -> outcome.merge(e.getRoundCommitted().getRound(), "committed", (a, b) -> a + "+" + b);
        case ROUND_ABORTED -> outcome.merge(e.getRoundAborted().getRound(), "aborted: " + e.getRoundAborted().getReason(),
            (a, b) -> a + "+" + b);
        case DATA_USE -> {
          try {
            DataUseBody body = DataUseBody.parseFrom(e.getDataUse().getBody());
            uses.merge(body.getSiteId(), 1, Integer::sum);
            recorded.put(body.getSiteId(), body.getCumulativeEpsilon());
          } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
            throw new AssertionError(ex);
          }
        }
        default -> { }
      }
    });
    assertEquals(Optional.empty(), torn, "no torn entry is left after the restart");
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), started, "no round number is reused");
    assertEquals("committed", outcome.get(1L));
    assertEquals("committed", outcome.get(2L));
    assertTrue(outcome.get(killedRound).startsWith("aborted: coordinator stopped during the round"), outcome.toString());
    assertEquals("committed", outcome.get(4L));
    assertEquals("committed", outcome.get(5L));
    assertEquals(expectedUses, uses, "data uses per site (the interrupted round's count: they were released)");

    // `fedtel ledger verify` on the directory: exit 0.
    assertEquals(0, Main.run("ledger", "verify", ledgerDir.toString()), "fedtel ledger verify " + ledgerDir);

    // ε: the auditor's recomputation, the ledger's running totals, the restarted coordinator's own
    // accounting (printed after its last round) and each site's own account agree.
    AuditReport audit = LedgerAudit.verify(ledgerDir);
    assertEquals(rounds - 1, audit.checkpoints(), "one signed checkpoint per committed round");
    Matcher last = Pattern.compile("round 5 committed: .*, epsilon \\{([^}]*)\\}").matcher(second.output());
    assertTrue(last.find(), second.output());
    Map<String, Double> coordinatorView = new LinkedHashMap<>();
    for (String kv : last.group(1).split(", ")) {
      coordinatorView.put(kv.substring(0, kv.indexOf('=')), Double.parseDouble(kv.substring(kv.indexOf('=') + 1)));
    }
    assertEquals(SITES, audit.sites().size());
    for (AuditReport.SiteBudget b : audit.sites()) {
      assertEquals(recorded.get(b.siteId()), b.spentEpsilon(), 1e-9 * b.spentEpsilon(), b.toString());
      assertEquals(recorded.get(b.siteId()), coordinatorView.get(b.siteId()), 1e-9 * b.spentEpsilon(),
          "the restarted coordinator accounts " + b.siteId() + " as the ledger does");
    }
    for (Site s : sites) {
      double own = s.budget().spentEpsilon();
      if (held == Step.MASK && s.id().equals("site-3")) {
        assertTrue(own > recorded.get(s.id()) * (1 + 1e-9), "site-3 keeps its unrecorded charge of round 3: " + own + " vs " + recorded);
      } else {
        assertEquals(recorded.get(s.id()), own, 1e-9 * own, s.id() + ": the site's own account equals the ledger's");
      }
    }
  }

  // ---------------------------------------------------------------- a minimal JSON reader for the assertions

  /** Reads the dashboard's JSON: objects (ordered maps), arrays, strings, numbers, booleans, null. */
  static final class JsonText {
    private final String s;
    private int i;

    private JsonText(String s) {
      this.s = s;
    }

    static Object parse(String text) {
      JsonText p = new JsonText(text);
      Object v = p.value();
      p.space();
      if (p.i != text.length()) {
        throw new IllegalArgumentException("trailing text at " + p.i + ": " + text);
      }
      return v;
    }

    private void space() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }

    private Object value() {
      space();
      char c = s.charAt(i);
      if (c == '{') {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        space();
        if (s.charAt(i) == '}') {
          i++;
          return m;
        }
        while (true) {
          space();
          String k = string();
          space();
          expect(':');
          m.put(k, value());
          space();
          if (s.charAt(i++) == '}') {
            return m;
          }
        }
      }
      if (c == '[') {
        List<Object> l = new ArrayList<>();
        i++;
        space();
        if (s.charAt(i) == ']') {
          i++;
          return l;
        }
        while (true) {
          l.add(value());
          space();
          if (s.charAt(i++) == ']') {
            return l;
          }
        }
      }
      if (c == '"') {
        return string();
      }
      for (String lit : List.of("true", "false", "null")) {
        if (s.startsWith(lit, i)) {
          i += lit.length();
          return lit.equals("null") ? null : Boolean.valueOf(lit);
        }
      }
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      return Double.parseDouble(s.substring(start, i));
    }

    private void expect(char c) {
      if (s.charAt(i++) != c) {
        throw new IllegalArgumentException("expected '" + c + "' at " + (i - 1));
      }
    }

    private String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (true) {
        char c = s.charAt(i++);
        if (c == '"') {
          return b.toString();
        }
        if (c == '\\') {
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case 'r' -> b.append('\r');
            case 'b' -> b.append('\b');
            case 'f' -> b.append('\f');
            case 'u' -> {
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> b.append(e);
          }
        } else {
          b.append(c);
        }
      }
    }
  }
}
