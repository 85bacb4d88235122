package org.fedtel.crypto;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** The JDK's PKIX chain validation with given trust anchors: the base of every fedtel trust manager. */
public final class PkixTrust {
  private PkixTrust() {
  }

  /** The JDK's PKIX trust manager with {@code anchors} as its only trust anchors. */
  public static X509ExtendedTrustManager over(X509Certificate... anchors) {
    if (anchors.length == 0) {
      throw new IllegalArgumentException("a PKIX trust manager needs at least one trust anchor");
    }
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
}
