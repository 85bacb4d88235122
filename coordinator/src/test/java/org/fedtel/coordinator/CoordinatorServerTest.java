package org.fedtel.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.DataUseRecord;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The carrier's lifecycle: what {@link CoordinatorServer#close} does to the connections it accepted. */
class CoordinatorServerTest {
  @TempDir Path dir;

  /** A log that records nothing: no round starts in these tests. */
  static final FederationLog NO_LOG = new FederationLog() {
    @Override public void siteEnrolled(String siteId, double budgetEpsilon, double budgetDelta) { }
    @Override public void roundStarted(long round, List<String> participants, PrivacyParams privacy) { }
    @Override public void budgetExhausted(long round, String siteId, double spent, double budget, String reason) { }
    @Override public void dataUse(long round, String siteId, DataUseRecord record) { }
    @Override public void roundCommitted(long round, byte[] modelHash, List<String> survivors, List<String> dropped) { }
    @Override public void roundAborted(long round, String reason) { }
    @Override public long lastStartedRound() {
      return 0;
    }
    @Override public boolean isOpen(long round) {
      return false;
    }
  };

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    final java.util.concurrent.atomic.AtomicLong millis = new java.util.concurrent.atomic.AtomicLong(1_764_000_000_000L);

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.ofEpochMilli(millis.get());
    }
  }

  @Test
  void aFailureOnATickStopsTheCoordinatorInsteadOfSilentlyEndingEveryDeadline() throws Exception {
    SelfSignedCertificate coord = new SelfSignedCertificate("coordinator");
    ManualClock clock = new ManualClock();
    java.util.concurrent.atomic.AtomicInteger roundsTried = new java.util.concurrent.atomic.AtomicInteger();
    // Two of three sites connected: no round starts until one phase timeout has passed on the clock.
    Federation fed = new Federation(new RoundSettings(3, 3, 2, Duration.ofSeconds(30), PrivacyMode.PRIVACY_MODE_NONE, 1, 1, 1e-5,
        1, 32, 0.1, 64, 0), Strategies.fedAvg(), new double[3], (round, secagg, privacy, length) -> {
          roundsTried.incrementAndGet();
          throw new IllegalStateException("injected engine failure");
        }, NO_LOG, new StateStore(dir), clock, new SplittableRandom(1));
    CoordinatorServer server = new CoordinatorServer(fed,
        TlsContexts.server(coord.key(), new X509Certificate[] {coord.cert()}, coord.cert()), Wire.DEFAULT_MAX_FRAME_BYTES);
    try {
      server.start(new InetSocketAddress("127.0.0.1", 0), 5);
      java.util.concurrent.CompletableFuture<Integer> hellos = new java.util.concurrent.CompletableFuture<>();
      server.onEngine(() -> {
        try {
          int sent = 0;
          for (String id : List.of("site-a", "site-b")) {
            sent += fed.onHello(id, Wire.envelope(id, 0, 1).setHello(org.fedtel.protocol.v1.Hello.newBuilder()
                .setExampleCount(10)).build()).size();
          }
          hellos.complete(sent);
        } catch (Exception e) {
          hellos.completeExceptionally(e);
        }
      });
      assertEquals(0, hellos.get(10, TimeUnit.SECONDS), "no round starts with two of three sites before the timeout");
      assertFalse(server.isClosed());
      clock.millis.addAndGet(31_000); // the next tick starts a round with the two, and the engine fails
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!server.isClosed()) {
        assertTrue(System.nanoTime() < end, "the coordinator kept running after an engine failure on a tick");
        Thread.sleep(5); // polling a condition; the deadline above is the timeout
      }
      assertEquals(1, roundsTried.get(), "stopped at the first failure");
      assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> server.onEngine(() -> { }));
    } finally {
      server.close();
    }
  }

  @Test
  void closeClosesEveryAcceptedConnectionAtOnce() throws Exception {
    SelfSignedCertificate coord = new SelfSignedCertificate("coordinator");
    SelfSignedCertificate site = new SelfSignedCertificate("site-0");
    Federation fed = new Federation(new RoundSettings(3, 2, 2, Duration.ofSeconds(30), PrivacyMode.PRIVACY_MODE_NONE, 1, 1, 1e-5,
        1, 32, 0.1, 64, 0), Strategies.fedAvg(), new double[3], (round, secagg, privacy, length) -> {
          throw new AssertionError("no round starts with a single connection");
        }, NO_LOG, new StateStore(dir), Clock.systemUTC(), new SplittableRandom(1));
    CoordinatorServer server = new CoordinatorServer(fed,
        TlsContexts.server(coord.key(), new X509Certificate[] {coord.cert()}, site.cert()), Wire.DEFAULT_MAX_FRAME_BYTES);
    EventLoopGroup client = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      int port = server.start(new InetSocketAddress("127.0.0.1", 0), 20);
      SslContext tls = SslContextBuilder.forClient().keyManager(site.key(), site.cert()).trustManager(coord.cert())
          .endpointIdentificationAlgorithm(null).protocols("TLSv1.3").build();
      Channel ch = new Bootstrap().group(client).channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel c) {
              c.pipeline().addLast(tls.newHandler(c.alloc()));
            }
          }).connect("127.0.0.1", port).sync().channel();
      assertTrue(ch.pipeline().get(SslHandler.class).handshakeFuture().await(10, TimeUnit.SECONDS), "TLS handshake");
      assertTrue(ch.pipeline().get(SslHandler.class).handshakeFuture().isSuccess(), "TLS handshake succeeded");
      assertFalse(ch.closeFuture().isDone());

      server.close();
      // An idle connection like this one was closed before close() closed each accepted connection
      // itself, too; the case that was not (a restart in the middle of a round) is CoordinatorRestartTest.
      assertTrue(ch.closeFuture().await(10, TimeUnit.SECONDS), "the site sees its connection close");
      server.close(); // idempotent
    } finally {
      server.close();
      client.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }
}
