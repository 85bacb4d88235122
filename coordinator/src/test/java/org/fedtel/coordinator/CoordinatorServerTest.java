package org.fedtel.coordinator;

import static org.junit.jupiter.api.Assertions.assertFalse;
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
