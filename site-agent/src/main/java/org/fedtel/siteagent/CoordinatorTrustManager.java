package org.fedtel.siteagent;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The site's trust in the server it connects to: a chain the underlying manager trusts (the consortium
 * CA, or a pinned certificate) whose leaf passes a check that it is the coordinator's. The CA issues
 * every member a certificate that TLS accepts, so the chain alone would let any site pose as the
 * coordinator and be sent the other sites' round traffic (DESIGN.md section 2).
 */
final class CoordinatorTrustManager extends X509ExtendedTrustManager {
  /** Refuses a leaf that is not the coordinator's, with a message that says whose it is. */
  interface LeafCheck {
    void check(X509Certificate leaf) throws CertificateException;
  }

  private final X509ExtendedTrustManager chains;
  private final LeafCheck coordinator;

  CoordinatorTrustManager(X509ExtendedTrustManager chains, LeafCheck coordinator) {
    this.chains = chains;
    this.coordinator = coordinator;
  }

  /** The JDK's PKIX trust manager with {@code anchors} as its only trust anchors. */
  static X509ExtendedTrustManager pkix(X509Certificate... anchors) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      for (int i = 0; i < anchors.length; i++) {
        ks.setCertificateEntry("anchor-" + i, anchors[i]);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(ks);
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          return x;
        }
      }
      throw new IllegalStateException("the JDK's PKIX trust manager factory has no X.509 manager");
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build the PKIX trust manager", e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    chains.checkServerTrusted(chain, authType);
    coordinator.check(chain[0]);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    chains.checkServerTrusted(chain, authType, socket);
    coordinator.check(chain[0]);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    chains.checkServerTrusted(chain, authType, engine);
    coordinator.check(chain[0]);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("a site authenticates only the coordinator it connects to, no clients");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return chains.getAcceptedIssuers();
  }
}
