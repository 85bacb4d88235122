package org.fedtel.siteagent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fedtel.crypto.ConsortiumCa;
import org.fedtel.crypto.SiteCredentials;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server a site connects to must be the coordinator, not merely a consortium member: every member's
 * certificate verifies under the CA, so a site's credentials could otherwise serve as "the
 * coordinator" to the other sites. Loopback only.
 */
class SiteClientCoordinatorTrustTest {
  @TempDir static Path dir;
  static ConsortiumCa ca;
  static SiteCredentials site1;
  static SiteCredentials site2;
  static SiteCredentials coordinator;
  static SiteCredentials otherCoordinator;
  static final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

  @BeforeAll
  static void consortium() throws Exception {
    Clock clock = Clock.systemUTC();
    ca = ConsortiumCa.create(dir.resolve("ca"), "test", clock, new SecureRandom());
    site1 = SiteCredentials.load(ca.issueSite("site-1"), clock);
    site2 = SiteCredentials.load(ca.issueSite("site-2"), clock);
    otherCoordinator = SiteCredentials.load(ca.issueCoordinator(List.of("127.0.0.1")), clock);
    // A second coordinator certificate of the same CA (e.g. a renewal), for the pinning check.
    Files.move(dir.resolve("ca").resolve(ConsortiumCa.COORDINATOR_ID), dir.resolve("old-coordinator"));
    coordinator = SiteCredentials.load(ca.issueCoordinator(List.of("127.0.0.1")), clock);
  }

  @AfterAll
  static void stop() throws Exception {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  /**
   * Serves {@code server}'s credentials on loopback and connects site-1 with {@code clientTls}; returns
   * null if the first TLS handshake succeeded, else why it failed (as the server saw it).
   */
  private static Throwable handshake(SiteCredentials server, SslContext clientTls) throws Exception {
    SslContext serverTls = SslContextBuilder.forServer(server.tlsPrivateKey(), server.certificateChain())
        .trustManager(server.caCertificate()).clientAuth(ClientAuth.REQUIRE).protocols("TLSv1.3").build();
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Channel listening = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            SslHandler tls = serverTls.newHandler(ch.alloc());
            tls.handshakeFuture().addListener(f -> outcome.complete(f.isSuccess() ? null : f.cause()));
            ch.pipeline().addLast(tls, new io.netty.channel.ChannelInboundHandlerAdapter() {
              @Override
              public void exceptionCaught(io.netty.channel.ChannelHandlerContext ctx, Throwable cause) {
                ctx.close(); // the handshake's outcome is recorded above
              }
            });
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    int port = ((InetSocketAddress) listening.localAddress()).getPort();
    SiteClient client = new SiteClient(() -> new SiteSession("site-1", new PrivacyBudget(10, 1e-5), new SiteStateTest.StubTrainer(100),
        SiteStateTest.StubSecAgg::new, site1.signingKey(), SiteStateTest.witness("site-1")), clientTls,
        new InetSocketAddress("127.0.0.1", port), 50, 200);
    try {
      client.start();
      Throwable failure = outcome.get(30, TimeUnit.SECONDS);
      if (failure != null) {
        assertEquals(0, client.connections(), "the site must not count a refused handshake as a connection");
      }
      return failure;
    } finally {
      client.close();
      listening.close().sync();
    }
  }

  private static SslContext caAnchored() throws Exception {
    return SiteClient.tls(site1.tlsPrivateKey(), site1.certificateChain(), site1.caCertificate());
  }

  private static SslContext pinned(SiteCredentials expected) throws Exception {
    return SiteClient.tls(site1.tlsPrivateKey(), site1.certificateChain(), site1.trust(), null, expected.certificateChain()[0]);
  }

  @Test
  void aSiteCertificateCannotServeAsTheCoordinator() throws Exception {
    assertNotNull(handshake(site2, caAnchored()), "site-2's member certificate served as the coordinator");
    assertNotNull(handshake(site2, pinned(coordinator)), "site-2's member certificate served as the coordinator");
    // Control: the real coordinator is accepted both ways.
    assertNull(handshake(coordinator, caAnchored()));
    assertNull(handshake(coordinator, pinned(coordinator)));
  }

  @Test
  void aConfiguredCoordinatorCertificateIsTheOnlyOneAccepted() throws Exception {
    Throwable other = handshake(otherCoordinator, pinned(coordinator));
    assertNotNull(other, "a coordinator certificate other than the configured one was accepted");
    // Without a configured certificate, any the CA issued to the coordinator is.
    assertNull(handshake(otherCoordinator, SiteClient.tls(site1.tlsPrivateKey(), site1.certificateChain(), site1.trust(), null, null)));
    assertTrue(otherCoordinator.isCoordinator());
  }
}
