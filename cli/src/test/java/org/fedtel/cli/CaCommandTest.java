package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.fedtel.coordinator.TlsContexts;
import org.fedtel.crypto.ConsortiumTrust;
import org.fedtel.crypto.RevocationList;
import org.fedtel.crypto.SiteCredentials;
import org.fedtel.protocol.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** End to end through the real command: CA, site and coordinator credentials, and bad input. */
class CaCommandTest {
  static FedtelCommandTest.Result run(String... args) {
    return FedtelCommandTest.run(args);
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void initAndIssue(@TempDir Path tmp) throws Exception {
    Path ca = tmp.resolve("ca");
    FedtelCommandTest.Result init = run("ca", "init", "--dir", ca.toString());
    assertEquals(0, init.exit(), init.err());
    assertTrue(init.out().contains("SHA-256 fingerprint"), init.out());
    assertEquals("rw-------", perms(ca.resolve("ca.key")));
    assertTrue(Files.readString(ca.resolve("ca.crt")).startsWith("-----BEGIN CERTIFICATE-----"));

    FedtelCommandTest.Result site = run("ca", "issue", "--dir", ca.toString(), "--site", "hpc-west");
    assertEquals(0, site.exit(), site.err());
    Path dir = ca.resolve("sites/hpc-west");
    assertEquals("rw-------", perms(dir.resolve("tls.key")));
    assertEquals("rw-------", perms(dir.resolve("signing.key")));
    SiteCredentials creds = SiteCredentials.load(dir, Clock.systemUTC());
    assertEquals("hpc-west", creds.siteId());

    FedtelCommandTest.Result coord = run("ca", "issue", "--dir", ca.toString(), "--coordinator",
        "--host", "agg.example.org,10.1.2.3");
    assertEquals(0, coord.exit(), coord.err());
    SiteCredentials c = SiteCredentials.load(ca.resolve("coordinator"), Clock.systemUTC());
    assertTrue(c.isCoordinator());
    assertTrue(c.certificateChain()[0].getSubjectAlternativeNames().stream()
        .anyMatch(n -> n.get(1).equals("10.1.2.3")));
  }

  @Test
  void badInputIsOneLineAndExitTwo(@TempDir Path tmp) throws Exception {
    Path ca = tmp.resolve("ca");
    expectUserError(run("ca", "issue", "--dir", ca.toString(), "--site", "a"), "no consortium CA");
    assertEquals(0, run("ca", "init", "--dir", ca.toString()).exit());
    String before = Files.readString(ca.resolve("ca.key"));
    expectUserError(run("ca", "init", "--dir", ca.toString()), "already exists");
    assertEquals(before, Files.readString(ca.resolve("ca.key")), "the CA key was overwritten");
    expectUserError(run("ca", "issue", "--dir", ca.toString(), "--site", "../evil"), "not a valid site id");
    expectUserError(run("ca", "issue", "--dir", ca.toString(), "--site", "coordinator"), "reserved");
    expectUserError(run("ca", "issue", "--dir", ca.toString(), "--site", "a", "--host", "x"), "--coordinator only");
    assertEquals(0, run("ca", "issue", "--dir", ca.toString(), "--site", "a").exit());
    expectUserError(run("ca", "issue", "--dir", ca.toString(), "--site", "a"), "already exist");
    FedtelCommandTest.Result both = run("ca", "issue", "--dir", ca.toString(), "--site", "b", "--coordinator");
    assertEquals(2, both.exit(), both.err());
    FedtelCommandTest.Result neither = run("ca", "issue", "--dir", ca.toString());
    assertEquals(2, neither.exit(), neither.err());
  }

  /**
   * {@code fedtel ca revoke} end to end: the revoked site is in the CA-signed list, the coordinator
   * config takes it ({@code revocations}), and the coordinator's TLS context refuses that site at the
   * TLS 1.3 handshake — logging its id and the reason — while an unrevoked site gets through.
   */
  @Test
  void revokedSiteIsRefusedByTheCoordinatorsTls(@TempDir Path tmp) throws Exception {
    Path ca = tmp.resolve("ca");
    assertEquals(0, run("ca", "init", "--dir", ca.toString()).exit());
    for (String who : new String[] {"alpha", "beta"}) {
      assertEquals(0, run("ca", "issue", "--dir", ca.toString(), "--site", who).exit());
    }
    assertEquals(0, run("ca", "issue", "--dir", ca.toString(), "--coordinator").exit());
    SiteCredentials coordinator = SiteCredentials.load(ca.resolve("coordinator"), Clock.systemUTC());
    SiteCredentials alpha = SiteCredentials.load(ca.resolve("sites/alpha"), Clock.systemUTC());
    SiteCredentials beta = SiteCredentials.load(ca.resolve("sites/beta"), Clock.systemUTC());

    FedtelCommandTest.Result revoke = run("ca", "revoke", "--dir", ca.toString(), "--site", "beta",
        "--reason", "key-compromise");
    assertEquals(0, revoke.exit(), revoke.err());
    String betaSerial = beta.certificateChain()[0].getSerialNumber().toString(16);
    assertTrue(revoke.out().contains("revoked certificate " + betaSerial + " of 'beta' (key-compromise)"),
        revoke.out());
    assertTrue(revoke.out().contains("revocation list number 1, 1 revoked"), revoke.out());
    assertTrue(Files.readString(ca.resolve("revoked.txt")).contains(betaSerial + " beta "));

    Files.writeString(tmp.resolve("coordinator.toml"), """
        credentials = "ca/coordinator"
        data_dir = "coord"
        sites = ["ca/sites/alpha/cert.pem", "ca/sites/beta/cert.pem"]
        revocations = "ca/crl.pem"
        [model]
        inputs = 4
        """);
    CoordinatorCommand.Settings settings = CoordinatorCommand.read(tmp.resolve("coordinator.toml"));
    assertEquals(List.of(beta.certificateChain()[0].getSerialNumber()), settings.revocations().serials());

    SslContext tls = TlsContexts.server(coordinator.tlsPrivateKey(), coordinator.certificateChain(),
        coordinator.trust(), settings.revocations());
    Logger logger = (Logger) LoggerFactory.getLogger(TlsContexts.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(tls.newHandler(ch.alloc()), new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                  ctx.writeAndFlush(msg); // echo: proves the channel is open after the handshake
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                  ctx.close(); // the refused handshake; TlsContexts has logged why
                }
              });
            }
          }).bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
      int port = ((InetSocketAddress) server.localAddress()).getPort();
      assertEquals(42, echo(alpha, port), "an unrevoked site must get through");
      assertThrows(IOException.class, () -> echo(beta, port), "the revoked site got through");
      server.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
      logger.detachAppender(logged);
    }
    List<String> warnings = logged.list.stream().filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage).toList();
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("site 'beta'") && warnings.get(0).contains("revoked")
        && warnings.get(0).contains("key-compromise"), warnings.get(0));

    // A list signed by another CA is refused when the coordinator reads its config.
    Path other = tmp.resolve("other");
    assertEquals(0, run("ca", "init", "--dir", other.toString()).exit());
    assertEquals(0, run("ca", "crl", "--dir", other.toString()).exit());
    Files.writeString(tmp.resolve("coordinator.toml"), Files.readString(tmp.resolve("coordinator.toml"))
        .replace("ca/crl.pem", "other/crl.pem"));
    ConfigException wrong = assertThrows(ConfigException.class,
        () -> CoordinatorCommand.read(tmp.resolve("coordinator.toml")));
    assertTrue(wrong.getMessage().contains("revocations 'other/crl.pem' cannot be used")
        && wrong.getMessage().contains("signature"), wrong.getMessage());
  }

  /** One byte through the coordinator's TLS as {@code site}; the echoed byte + 1. */
  private static int echo(SiteCredentials site, int port) throws Exception {
    try (SSLSocket s = (SSLSocket) site.sslContext(new SecureRandom()).getSocketFactory()
        .createSocket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(20_000);
      s.startHandshake();
      s.getOutputStream().write(41);
      s.getOutputStream().flush();
      int b = s.getInputStream().read();
      if (b < 0) {
        throw new IOException("the coordinator closed the connection");
      }
      return b + 1;
    }
  }

  @Test
  void revokeAndCrlBadInputAndSerials(@TempDir Path tmp) throws Exception {
    Path ca = tmp.resolve("ca");
    expectUserError(run("ca", "revoke", "--dir", ca.toString(), "--site", "a"), "no consortium CA");
    expectUserError(run("ca", "crl", "--dir", ca.toString()), "no consortium CA");
    assertEquals(0, run("ca", "init", "--dir", ca.toString()).exit());
    assertEquals(0, run("ca", "issue", "--dir", ca.toString(), "--site", "a").exit());
    assertEquals(0, run("ca", "issue", "--dir", ca.toString(), "--site", "b").exit());
    expectUserError(run("ca", "revoke", "--dir", ca.toString(), "--site", "nobody"), "no certificate to 'nobody'");
    expectUserError(run("ca", "revoke", "--dir", ca.toString(), "--serial", "xyz"), "not a hexadecimal");
    expectUserError(run("ca", "revoke", "--dir", ca.toString(), "--serial", "ab12"), "no certificate with serial ab12");
    expectUserError(run("ca", "revoke", "--dir", ca.toString(), "--site", "a", "--reason", "ca-compromise"),
        "is not one of");
    expectUserError(run("ca", "revoke", "--dir", ca.toString(), "--site", "a", "--crl-days", "0"), "between 1 and 3650");
    assertEquals(2, run("ca", "revoke", "--dir", ca.toString()).exit());
    assertEquals(2, run("ca", "revoke", "--dir", ca.toString(), "--site", "a", "--serial", "1").exit());
    assertTrue(Files.notExists(ca.resolve("revoked.txt")), "a refused request recorded a revocation");

    // By serial, in the colon-separated upper-case form some tools print.
    String serial = SiteCredentials.load(ca.resolve("sites/a"), Clock.systemUTC()).certificateChain()[0]
        .getSerialNumber().toString(16);
    String pretty = (serial.length() % 2 == 1 ? "0" + serial : serial).toUpperCase(java.util.Locale.ROOT)
        .replaceAll("(..)(?!$)", "$1:");
    FedtelCommandTest.Result bySerial = run("ca", "revoke", "--dir", ca.toString(), "--serial", pretty);
    assertEquals(0, bySerial.exit(), bySerial.err());
    assertTrue(bySerial.out().contains("of 'a' (unspecified)"), bySerial.out());
    expectUserError(run("ca", "revoke", "--dir", ca.toString(), "--site", "a"), "already revoked");

    FedtelCommandTest.Result crl = run("ca", "crl", "--dir", ca.toString(), "--days", "90");
    assertEquals(0, crl.exit(), crl.err());
    assertTrue(crl.out().contains("revocation list number 2, 1 revoked"), crl.out());
    RevocationList list = RevocationList.load(ca.resolve("crl.pem"),
        ConsortiumTrust.load(ca.resolve("ca.crt"), Clock.systemUTC()));
    assertEquals(List.of(new java.math.BigInteger(serial, 16)), list.serials());
    assertTrue(list.nextUpdate().isAfter(java.time.Instant.now().plus(java.time.Duration.ofDays(89))));
    expectUserError(run("ca", "crl", "--dir", ca.toString(), "--days", "99999"), "between 1 and 3650");
  }

  private static void expectUserError(FedtelCommandTest.Result r, String fragment) {
    assertEquals(2, r.exit(), r.out() + r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains(fragment), r.err());
  }
}
