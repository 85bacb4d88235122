package org.fedtel.coordinator;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLException;

/** The coordinator's TLS: 1.3 only, client certificates required, trusting only the consortium CA. */
public final class TlsContexts {
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
    return SslContextBuilder.forServer(key, chain)
        .trustManager(trusted)
        .clientAuth(ClientAuth.REQUIRE)
        .protocols("TLSv1.3")
        .build();
  }
}
