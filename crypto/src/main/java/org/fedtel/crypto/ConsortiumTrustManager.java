package org.fedtel.crypto;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.CertificateRevokedException;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK's PKIX trust manager over the consortium CA, followed by the consortium's own checks on
 * the leaf: a member certificate ({@link ConsortiumTrust#verify}) and, with a revocation list, not
 * revoked (RFC 5280 §6.3). Each refusal says which certificate and why, so the TLS side can log it.
 */
final class ConsortiumTrustManager extends X509ExtendedTrustManager {
  private interface PkixCheck {
    void run() throws CertificateException;
  }

  private final ConsortiumTrust trust;
  private final RevocationList revocations; // null: no revocation list
  private final X509ExtendedTrustManager pkix;

  ConsortiumTrustManager(ConsortiumTrust trust, RevocationList revocations) {
    this.trust = trust;
    this.revocations = revocations;
    this.pkix = PkixTrust.over(trust.caCertificate());
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain, () -> pkix.checkClientTrusted(chain, authType));
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, () -> pkix.checkClientTrusted(chain, authType, socket));
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, () -> pkix.checkClientTrusted(chain, authType, engine));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain, () -> pkix.checkServerTrusted(chain, authType));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, () -> pkix.checkServerTrusted(chain, authType, socket));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, () -> pkix.checkServerTrusted(chain, authType, engine));
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[] {trust.caCertificate()};
  }

  private void check(X509Certificate[] chain, PkixCheck pkixCheck) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the peer presented no certificate");
    }
    X509Certificate leaf = chain[0];
    String serial = "serial " + leaf.getSerialNumber().toString(16);
    try {
      pkixCheck.run();
    } catch (CertificateException e) {
      throw new CertificateException("certificate '" + leaf.getSubjectX500Principal().getName()
          + "' (" + serial + ") does not verify under the consortium CA: " + e.getMessage(), e);
    }
    CertifiedSite site;
    try {
      site = trust.verify(leaf);
    } catch (CertificateException e) {
      throw new CertificateException("certificate '" + leaf.getSubjectX500Principal().getName()
          + "' (" + serial + ") is not a consortium member's: " + e.getMessage(), e);
    }
    if (revocations == null) {
      return;
    }
    try {
      revocations.check(leaf);
    } catch (CertificateRevokedException e) {
      throw new CertificateException("site '" + site.siteId() + "' (certificate " + serial
          + ") is revoked: " + reasonName(e) + " since " + e.getRevocationDate().toInstant()
          + " (revocation list number " + revocations.number() + ")", e);
    } catch (CertificateException e) {
      throw new CertificateException("site '" + site.siteId() + "' (certificate " + serial
          + "): " + e.getMessage(), e);
    }
  }

  private static String reasonName(CertificateRevokedException e) {
    return e.getRevocationReason().name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
