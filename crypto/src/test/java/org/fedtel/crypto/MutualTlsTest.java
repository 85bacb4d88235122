package org.fedtel.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issued credentials work for TLS 1.3 with client authentication in the JDK's JSSE provider,
 * the engine Netty's JDK SslProvider uses.
 */
class MutualTlsTest {
  @TempDir Path dir;

  private record Seen(String protocol, String peer) {}

  @Test
  void tls13MutualHandshakeOnLoopback() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", ConsortiumPkiTest.CLOCK, new SecureRandom());
    SiteCredentials coordinator = SiteCredentials.load(ca.issueCoordinator(List.of()), ConsortiumPkiTest.CLOCK);
    SiteCredentials alpha = SiteCredentials.load(ca.issueSite("alpha"), ConsortiumPkiTest.CLOCK);
    Seen[] seen = handshake(coordinator, alpha);
    assertEquals("TLSv1.3", seen[0].protocol());
    assertEquals("alpha", seen[0].peer());
    assertEquals("TLSv1.3", seen[1].protocol());
    assertEquals("coordinator", seen[1].peer());
  }

  /** Negative control: a client certified by another CA does not get through. */
  @Test
  void clientFromAnotherConsortiumIsRejected() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("a"), "a", ConsortiumPkiTest.CLOCK, new SecureRandom());
    ConsortiumCa other = ConsortiumCa.create(dir.resolve("b"), "b", ConsortiumPkiTest.CLOCK, new SecureRandom());
    SiteCredentials coordinator = SiteCredentials.load(ca.issueCoordinator(List.of()), ConsortiumPkiTest.CLOCK);
    SiteCredentials intruder = SiteCredentials.load(other.issueSite("alpha"), ConsortiumPkiTest.CLOCK);
    assertThrows(Exception.class, () -> handshake(coordinator, intruder));
  }

  /**
   * A coordinator with the consortium's revocation list: a revoked site fails the TLS 1.3 handshake
   * (the server's refusal names the site and the reason), an unrevoked one gets through.
   */
  @Test
  void revokedSiteIsRefusedAtTheHandshakeOthersAreNot() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", ConsortiumPkiTest.CLOCK, new SecureRandom());
    SiteCredentials coordinator = SiteCredentials.load(ca.issueCoordinator(List.of()), ConsortiumPkiTest.CLOCK);
    SiteCredentials alpha = SiteCredentials.load(ca.issueSite("alpha"), ConsortiumPkiTest.CLOCK);
    SiteCredentials beta = SiteCredentials.load(ca.issueSite("beta"), ConsortiumPkiTest.CLOCK);
    ca.revokeMember("beta", java.security.cert.CRLReason.KEY_COMPROMISE);
    RevocationList crl = RevocationList.load(ca.writeRevocationList(java.time.Duration.ofDays(30)),
        coordinator.trust());
    SSLContext withCrl = coordinator.sslContext(new SecureRandom(), crl);

    Seen[] ok = handshake(withCrl, coordinator.trust(), alpha);
    assertEquals("alpha", ok[0].peer());
    assertEquals("TLSv1.3", ok[0].protocol());

    Exception refused = assertThrows(Exception.class, () -> handshake(withCrl, coordinator.trust(), beta));
    String serverSide = causes(refused);
    assertTrue(serverSide.contains("site 'beta'") && serverSide.contains("revoked")
        && serverSide.contains("key-compromise"), serverSide);
    // Negative control: the same site passes a coordinator without the list.
    assertEquals("beta", handshake(coordinator, beta)[0].peer());
  }

  /** A site with the list refuses a revoked coordinator at the handshake; without it, it connects. */
  @Test
  void aSiteWithTheListRefusesARevokedCoordinator() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", ConsortiumPkiTest.CLOCK, new SecureRandom());
    SiteCredentials coordinator = SiteCredentials.load(ca.issueCoordinator(List.of("localhost", "127.0.0.1")),
        ConsortiumPkiTest.CLOCK);
    SiteCredentials alpha = SiteCredentials.load(ca.issueSite("alpha"), ConsortiumPkiTest.CLOCK);
    ca.revokeMember("coordinator", java.security.cert.CRLReason.KEY_COMPROMISE);
    RevocationList crl = RevocationList.load(ca.writeRevocationList(java.time.Duration.ofDays(30)), alpha.trust());
    Exception refused = assertThrows(Exception.class, () -> handshake(coordinator.sslContext(new SecureRandom()),
        coordinator.trust(), alpha, alpha.sslContext(new SecureRandom(), crl)));
    assertTrue(causes(refused).contains("revoked"), causes(refused));
    assertEquals("alpha", handshake(coordinator, alpha)[0].peer(), "negative control: without the list it connects");
  }

  /** The messages of an exception, its suppressed exceptions and their causes. */
  private static String causes(Throwable t) {
    StringBuilder b = new StringBuilder();
    java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>(List.of(t));
    java.util.Set<Throwable> seen = new java.util.HashSet<>();
    while (!todo.isEmpty()) {
      Throwable x = todo.pop();
      if (x == null || !seen.add(x)) {
        continue;
      }
      b.append(x).append('\n');
      if (x.getCause() != null) {
        todo.add(x.getCause());
      }
      todo.addAll(List.of(x.getSuppressed()));
    }
    return b.toString();
  }

  private static Seen[] handshake(SiteCredentials server, SiteCredentials client) throws Exception {
    return handshake(server.sslContext(new SecureRandom()), server.trust(), client);
  }

  private static Seen[] handshake(SSLContext serverContext, ConsortiumTrust serverTrust,
      SiteCredentials client) throws Exception {
    return handshake(serverContext, serverTrust, client, client.sslContext(new SecureRandom()));
  }

  private static Seen[] handshake(SSLContext serverContext, ConsortiumTrust serverTrust,
      SiteCredentials client, SSLContext clientContext) throws Exception {
    try (SSLServerSocket listener = (SSLServerSocket) serverContext
        .getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      listener.setNeedClientAuth(true);
      listener.setEnabledProtocols(new String[] {"TLSv1.3"});
      listener.setSoTimeout(20_000);
      CompletableFuture<Seen> serverSide = CompletableFuture.supplyAsync(() -> {
        try (SSLSocket s = (SSLSocket) listener.accept()) {
          s.setSoTimeout(20_000);
          int b = s.getInputStream().read();
          s.getOutputStream().write(b + 1);
          s.getOutputStream().flush();
          X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
          return new Seen(s.getSession().getProtocol(), serverTrust.verify(peer).siteId());
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Seen clientSeen;
      try (SSLSocket s = (SSLSocket) clientContext.getSocketFactory()
          .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
        s.setSoTimeout(20_000);
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        var params = s.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS"); // the coordinator's SAN has localhost/127.0.0.1
        s.setSSLParameters(params);
        s.startHandshake();
        s.getOutputStream().write(41);
        s.getOutputStream().flush();
        int reply = s.getInputStream().read();
        if (reply != 42) {
          throw new SSLException("server closed the connection: client certificate refused");
        }
        X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
        clientSeen = new Seen(s.getSession().getProtocol(), client.trust().verify(peer).siteId());
      } catch (IOException e) {
        Throwable server = serverSide.handle((v, t) -> t).get(20, TimeUnit.SECONDS);
        if (server != null) {
          e.addSuppressed(server);
        }
        throw e;
      }
      // The client socket is closed first: a TLS 1.3 close waits for the peer's close_notify.
      return new Seen[] {serverSide.get(20, TimeUnit.SECONDS), clientSeen};
    }
  }
}
