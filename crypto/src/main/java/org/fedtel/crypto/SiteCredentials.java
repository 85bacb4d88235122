package org.fedtel.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * One member's credentials as {@code fedtel ca issue} writes them: certificate chain, TLS private
 * key (ECDSA P-256), certified Ed25519 signing key and the CA certificate. Loading checks that the
 * certificate verifies under the CA and that both keys belong to it.
 *
 * <p>For Netty: {@code SslContextBuilder.forServer(tlsPrivateKey(), certificateChain())} or
 * {@code forClient().keyManager(...)}, with {@code trustManager(caCertificate())}, {@code
 * protocols("TLSv1.3")} and, on the server, {@code clientAuth(ClientAuth.REQUIRE)}. After the
 * handshake, pass the peer's certificate to {@link ConsortiumTrust#verify} to learn its site id.
 */
public final class SiteCredentials {
  static final String CERT = "cert.pem";
  static final String TLS_KEY = "tls.key";
  static final String SIGNING_KEY = "signing.key";
  static final String CA = "ca.crt";

  private final CertifiedSite identity;
  private final X509Certificate[] chain;
  private final PrivateKey tlsKey;
  private final SigningKey signingKey;
  private final ConsortiumTrust trust;

  private SiteCredentials(CertifiedSite identity, X509Certificate[] chain, PrivateKey tlsKey,
      SigningKey signingKey, ConsortiumTrust trust) {
    this.identity = identity;
    this.chain = chain;
    this.tlsKey = tlsKey;
    this.signingKey = signingKey;
    this.trust = trust;
  }

  /** Loads the credentials in {@code dir} (e.g. {@code D/sites/alpha} or {@code D/coordinator}). */
  public static SiteCredentials load(Path dir, Clock clock)
      throws IOException, GeneralSecurityException {
    for (String secret : new String[] {TLS_KEY, SIGNING_KEY}) {
      Path f = dir.resolve(secret);
      if (!Files.exists(f)) {
        throw new java.nio.file.NoSuchFileException(f.toString());
      }
      try {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
        if (!Pem.OWNER_ONLY.containsAll(perms)) {
          throw new GeneralSecurityException(f + " is readable by others ("
              + java.nio.file.attribute.PosixFilePermissions.toString(perms)
              + "); run: chmod 600 " + f);
        }
      } catch (UnsupportedOperationException notPosix) {
        // no POSIX permissions on this file system
      }
    }
    ConsortiumTrust trust = ConsortiumTrust.load(dir.resolve(CA), clock);
    List<X509Certificate> certs = Pem.certificates(dir.resolve(CERT));
    CertifiedSite identity = trust.verify(certs.get(0));
    PrivateKey tls = Pem.privateKey(dir.resolve(TLS_KEY), "EC");
    if (!matches(tls, certs.get(0).getPublicKey())) {
      throw new GeneralSecurityException(dir.resolve(TLS_KEY) + " does not belong to "
          + dir.resolve(CERT));
    }
    SigningKey signing = Pem.ed25519FromPkcs8(Pem.single(dir.resolve(SIGNING_KEY), "PRIVATE KEY"),
        dir.resolve(SIGNING_KEY).toString());
    if (!signing.verifyingKey().equals(identity.signingKey())) {
      throw new GeneralSecurityException(dir.resolve(SIGNING_KEY)
          + " is not the signing key certified in " + dir.resolve(CERT));
    }
    X509Certificate[] chain = {certs.get(0), trust.caCertificate()};
    return new SiteCredentials(identity, chain, tls, signing, trust);
  }

  static boolean matches(PrivateKey key, PublicKey pub) throws GeneralSecurityException {
    byte[] probe = "fedtel key pair check".getBytes(StandardCharsets.US_ASCII);
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(key);
    s.update(probe);
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("SHA256withECDSA");
    try {
      v.initVerify(pub);
    } catch (java.security.InvalidKeyException e) {
      return false;
    }
    v.update(probe);
    return v.verify(sig);
  }

  public String siteId() {
    return identity.siteId();
  }

  public boolean isCoordinator() {
    return identity.coordinator();
  }

  /** Leaf then CA. */
  public X509Certificate[] certificateChain() {
    return chain.clone();
  }

  /** The leaf certificate, DER: what {@code SiteKeys.certificate} relays. */
  public byte[] certificateDer() {
    try {
      return chain[0].getEncoded();
    } catch (CertificateException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The TLS private key, for building the TLS context (Netty needs the key object itself). */
  public PrivateKey tlsPrivateKey() {
    return tlsKey;
  }

  public SigningKey signingKey() {
    return signingKey;
  }

  public X509Certificate caCertificate() {
    return trust.caCertificate();
  }

  public ConsortiumTrust trust() {
    return trust;
  }

  /**
   * A JSSE TLS 1.3 context with this member's key and the CA as the only trust anchor. Servers
   * must still call {@code setNeedClientAuth(true)} on their engines or sockets.
   */
  public SSLContext sslContext(SecureRandom random) throws GeneralSecurityException {
    try {
      KeyStore ts = KeyStore.getInstance("PKCS12");
      ts.load(null, null);
      ts.setCertificateEntry("consortium-ca", trust.caCertificate());
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ts);
      return context(tmf.getTrustManagers(), random);
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot build key store", e);
    }
  }

  /**
   * As {@link #sslContext(SecureRandom)}, with peers checked by {@link
   * ConsortiumTrust#trustManager(RevocationList)}: a member certificate revoked by {@code
   * revocations} fails the handshake.
   */
  public SSLContext sslContext(SecureRandom random, RevocationList revocations)
      throws GeneralSecurityException {
    return context(new TrustManager[] {trust.trustManager(revocations)}, random);
  }

  private SSLContext context(TrustManager[] trustManagers, SecureRandom random)
      throws GeneralSecurityException {
    try {
      char[] pw = new char[0];
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("member", tlsKey, pw, chain);
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pw);
      SSLContext ctx = SSLContext.getInstance("TLSv1.3");
      ctx.init(kmf.getKeyManagers(), trustManagers, random);
      return ctx;
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot build key store", e);
    }
  }

  @Override
  public String toString() {
    return "SiteCredentials[" + identity.siteId() + "]";
  }
}
