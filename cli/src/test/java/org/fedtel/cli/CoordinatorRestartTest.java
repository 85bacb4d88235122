package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fedtel.cli.CoordinatorProcessTest.Hold;
import org.fedtel.cli.CoordinatorProcessTest.Step;
import org.fedtel.cli.InMemoryFederationTest.LeastSquares;
import org.fedtel.cli.InMemoryFederationTest.ListLog;
import org.fedtel.coordinator.CoordinatorServer;
import org.fedtel.coordinator.Federation;
import org.fedtel.coordinator.RoundSettings;
import org.fedtel.coordinator.StateStore;
import org.fedtel.coordinator.TlsContexts;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.ledger.Witness;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.siteagent.SiteClient;
import org.fedtel.siteagent.SiteSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@link CoordinatorServer} closed in the middle of a round and replaced, in the same JVM, by a new
 * one on the same port with a new engine over the same state and log. Before {@code close()} closed
 * each accepted connection itself, this timed out: two sites saw their connections close at once, the
 * third only 30 s later when the test ended (its socket stayed open inside the still-running JVM, so
 * no FIN or RST was sent), and the new coordinator never had enough sites. A killed process does not
 * show this, since the kernel closes its sockets ({@code CoordinatorProcessTest}).
 */
class CoordinatorRestartTest {
  @TempDir Path dir;

  @Test
  void aServerClosedMidRoundIsReplacedAndTheSitesReconnectByThemselves() throws Exception {
    int n = 3;
    SelfSignedCertificate coordCert = new SelfSignedCertificate("coordinator");
    List<SelfSignedCertificate> siteCerts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      siteCerts.add(new SelfSignedCertificate("site-" + i));
    }
    X509Certificate[] trusted = siteCerts.stream().map(SelfSignedCertificate::cert).toArray(X509Certificate[]::new);
    SslContext serverTls = TlsContexts.server(coordCert.key(), new X509Certificate[] {coordCert.cert()}, trusted);
    TestConsortium keys = new TestConsortium(n);
    ListLog log = new ListLog();
    RoundSettings settings = new RoundSettings(4, n, 2, Duration.ofSeconds(30), PrivacyMode.PRIVACY_MODE_NONE, 1, 1, 1e-5, 3, 32,
        0.1, 64, 0);
    Federation first = new Federation(settings, Strategies.fedAvg(), new double[3], keys.server(), log,
        new StateStore(dir.resolve("state")), Clock.systemUTC(), new SplittableRandom(7));
    Hold hold = new Hold(2, Step.UNMASK);
    List<SiteClient> clients = new ArrayList<>();
    CoordinatorServer server = new CoordinatorServer(first, serverTls, Wire.DEFAULT_MAX_FRAME_BYTES);
    try {
      InetSocketAddress addr = new InetSocketAddress("127.0.0.1", server.start(new InetSocketAddress("127.0.0.1", 0), 20));
      for (int i = 0; i < n; i++) {
        String id = "site-" + i;
        PrivacyBudget budget = new PrivacyBudget(10, 1e-5);
        LeastSquares trainer = NetworkFederationTest.data(i);
        Witness witness = keys.witness(id);
        boolean held = i == n - 1;
        SiteClient c = new SiteClient(() -> new SiteSession(id, budget, trainer,
            held ? hold.around(keys.client(id)) : keys.client(id), keys.signingKey(id), witness)
            .acceptUnprotectedRounds(true), // the rounds here run in privacy mode none
            SiteClient.tls(siteCerts.get(i).key(), new X509Certificate[] {siteCerts.get(i).cert()}, coordCert.cert()), addr, 50, 400);
        clients.add(c);
        c.start();
      }
      // Round 2 is in progress (the last site holds its unmask shares): stop the coordinator.
      assertTrue(hold.entered.await(30, TimeUnit.SECONDS), "round 2 never reached the unmask step");
      CompletableFuture<double[]> afterRound1 = new CompletableFuture<>();
      server.onEngine(() -> afterRound1.complete(first.model()));
      server.close();
      hold.released.countDown();

      Federation second = new Federation(settings, Strategies.fedAvg(), new double[3], keys.server(), log,
          new StateStore(dir.resolve("state")), Clock.systemUTC(), new SplittableRandom(8));
      assertEquals(1, second.committedRound(), "resumes from the last committed round");
      assertArrayEquals(afterRound1.join(), second.model(), 0);
      server = new CoordinatorServer(second, serverTls, Wire.DEFAULT_MAX_FRAME_BYTES);
      server.start(addr, 20);
      CoordinatorServer running = server;
      NetworkFederationTest.await(() -> {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        running.onEngine(() -> done.complete(second.finished()));
        return done.join();
      }, "the restarted coordinator to finish (the sites must notice the old one is gone and reconnect)");
      for (SiteClient c : clients) {
        assertTrue(c.connections() >= 2, "reconnected: " + c.connections());
      }
      CompletableFuture<List<String>> events = new CompletableFuture<>();
      server.onEngine(() -> events.complete(List.copyOf(log.events)));
      List<String> started = events.join().stream().filter(e -> e.startsWith("started ")).map(e -> e.split(" ")[1]).toList();
      assertEquals(List.of("1", "2", "3", "4"), started, "no round number is reused");
      assertTrue(events.join().stream().anyMatch(e -> e.startsWith("aborted 2 coordinator stopped during the round")), events.join().toString());
      assertEquals(List.of("1", "3", "4"), events.join().stream().filter(e -> e.startsWith("committed ")).map(e -> e.split(" ")[1]).toList());
    } finally {
      server.close();
      for (SiteClient c : clients) {
        c.close();
      }
    }
  }
}
