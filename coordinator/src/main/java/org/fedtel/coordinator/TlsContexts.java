package org.fedtel.coordinator;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.Socket;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.fedtel.crypto.ConsortiumTrust;
import org.fedtel.crypto.RevocationList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's TLS: 1.3 only, client certificates required, trusting only the consortium CA.
 * Every client certificate refused at the handshake is logged (WARN) with the peer's address and
 * the reason: unknown CA, not a member certificate, or — with a revocation list — the revoked
 * site's id, serial, date and reason.
 */
public final class TlsContexts {
  private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

  private TlsContexts() {}

  /**
   * @param key the coordinator's private key
   * @param chain its certificate chain, leaf first
   * @param trusted the consortium CA certificate(s); a site's certificate must chain to one of them
   */
  public static SslContext server(PrivateKey key, X509Certificate[] chain, X509Certificate... trusted) throws SSLException {
    if (trusted.length == 0) {
      throw new IllegalArgumentException("a coordinator must trust at least one CA");
    }
    return build(key, chain, new RefusalLog(org.fedtel.crypto.PkixTrust.over(trusted)));
  }

  /**
   * A server context whose client certificates must be consortium member certificates under
   * {@code trust}'s CA and, if {@code revocations} is not null, not revoked by it.
   *
   * @param revocations the consortium's verified revocation list, or null when none is configured
   */
  public static SslContext server(PrivateKey key, X509Certificate[] chain, ConsortiumTrust trust,
      RevocationList revocations) throws SSLException {
    Objects.requireNonNull(trust, "trust");
    X509ExtendedTrustManager members = revocations == null ? trust.trustManager() : trust.trustManager(revocations);
    return build(key, chain, new RefusalLog(members));
  }

  private static SslContext build(PrivateKey key, X509Certificate[] chain, TrustManager trust) throws SSLException {
    return SslContextBuilder.forServer(key, chain)
        .trustManager(trust)
        .clientAuth(ClientAuth.REQUIRE)
        .protocols("TLSv1.3")
        .build();
  }

  /** Logs each refused client certificate with the reason, then refuses it. */
  private static final class RefusalLog extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;

    RefusalLog(X509ExtendedTrustManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        String peer = engine == null || engine.getPeerHost() == null ? "unknown peer"
            : engine.getPeerHost() + ":" + engine.getPeerPort();
        log.warn("TLS handshake refused for {}: {}", peer, e.getMessage());
        throw e;
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        log.warn("TLS handshake refused for {}: {}", socket == null ? "unknown peer" : socket.getRemoteSocketAddress(),
            e.getMessage());
        throw e;
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType);
      } catch (CertificateException e) {
        log.warn("TLS handshake refused: {}", e.getMessage());
        throw e;
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      delegate.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      delegate.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
