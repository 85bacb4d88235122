package org.fedtel.siteagent;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
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
