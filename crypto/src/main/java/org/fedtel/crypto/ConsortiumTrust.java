package org.fedtel.crypto;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.ASN1OctetString;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.crypto.secagg.SecAggException;

/**
 * Trust in the consortium CA: verifies a member certificate (PKIX path to the CA, validity at the
 * injected clock's time, end-entity) and reads the site id and certified Ed25519 key from it.
 */
public final class ConsortiumTrust {
  private final X509Certificate ca;
  private final Clock clock;

  private ConsortiumTrust(X509Certificate ca, Clock clock) {
    this.ca = ca;
    this.clock = clock;
  }

  public static ConsortiumTrust of(X509Certificate caCertificate, Clock clock) {
    return new ConsortiumTrust(Objects.requireNonNull(caCertificate, "caCertificate"),
        Objects.requireNonNull(clock, "clock"));
  }

  /** Loads the CA certificate from a PEM file (e.g. {@code ca.crt}). */
  public static ConsortiumTrust load(Path caCertificatePem, Clock clock)
      throws IOException, CertificateException {
    List<X509Certificate> certs = Pem.certificates(caCertificatePem);
    if (certs.size() != 1) {
      throw new CertificateException(caCertificatePem + ": expected exactly one CA certificate");
    }
    return of(certs.get(0), clock);
  }

  public X509Certificate caCertificate() {
    return ca;
  }

  Clock clock() {
    return clock;
  }

  /**
   * A JSSE trust manager for TLS with consortium members: the peer's chain must verify under the
   * CA (the JDK's PKIX checks, including extended key usage and, given a socket or engine,
   * endpoint identification) and its leaf must be a member certificate ({@link #verify}). Refusals
   * are {@link CertificateException}s whose message names the certificate and the reason.
   */
  public X509ExtendedTrustManager trustManager() {
    return new ConsortiumTrustManager(this, null);
  }

  /**
   * As {@link #trustManager()}, and a member certificate revoked by {@code revocations} is refused
   * (the exception's cause is the {@link java.security.cert.CertificateRevokedException}); so is
   * every certificate once the list has expired.
   */
  public X509ExtendedTrustManager trustManager(RevocationList revocations) {
    Objects.requireNonNull(revocations, "revocations");
    if (!revocations.issuedFor(this)) {
      throw new IllegalArgumentException("the revocation list belongs to another CA");
    }
    return new ConsortiumTrustManager(this, revocations);
  }

  /** Verifies a DER certificate relayed by a peer. */
  public CertifiedSite verify(byte[] der) throws CertificateException {
    if (der == null || der.length == 0) {
      throw new CertificateException("certificate is missing");
    }
    X509Certificate cert;
    try {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException | RuntimeException e) {
      throw new CertificateException("certificate does not parse: " + e.getMessage(), e);
    }
    return verify(cert);
  }

  /** Verifies a member certificate and returns who it certifies. */
  public CertifiedSite verify(X509Certificate cert) throws CertificateException {
    try {
      PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
      params.setRevocationEnabled(false);
      params.setDate(Date.from(clock.instant()));
      CertPathValidator.getInstance("PKIX").validate(
          CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert)), params);
    } catch (GeneralSecurityException e) {
      throw new CertificateException("certificate of '" + cert.getSubjectX500Principal().getName()
          + "' is not valid under the consortium CA: " + e.getMessage(), e);
    }
    if (cert.getBasicConstraints() != -1) {
      throw new CertificateException("a CA certificate cannot be a consortium member");
    }
    String id = null;
    boolean coordinator = false;
    Collection<List<?>> sans = cert.getSubjectAlternativeNames();
    if (sans != null) {
      for (List<?> san : sans) {
        if (((Integer) san.get(0)) == 6) { // uniformResourceIdentifier
          String uri = (String) san.get(1);
          String found = null;
          if (uri.equals(ConsortiumCa.COORDINATOR_URI)) {
            found = ConsortiumCa.COORDINATOR_ID;
            coordinator = true;
          } else if (uri.startsWith(ConsortiumCa.SITE_URI_PREFIX)) {
            found = uri.substring(ConsortiumCa.SITE_URI_PREFIX.length());
            if (!ConsortiumCa.SITE_ID.matcher(found).matches()
                || found.equals(ConsortiumCa.COORDINATOR_ID)) {
              throw new CertificateException("certificate names an invalid site id '" + found + "'");
            }
          }
          if (found != null) {
            if (id != null) {
              throw new CertificateException("certificate names more than one fedtel member");
            }
            id = found;
          }
        }
      }
    }
    if (id == null) {
      throw new CertificateException("certificate names no fedtel site (no urn:fedtel: URI)");
    }
    byte[] ext = cert.getExtensionValue(ConsortiumCa.SIGNING_KEY_OID);
    if (ext == null) {
      throw new CertificateException("certificate of '" + id + "' carries no signing key");
    }
    try {
      byte[] raw = ASN1OctetString.getInstance(
          ASN1OctetString.getInstance(ext).getOctets()).getOctets();
      return new CertifiedSite(id, coordinator, VerifyingKey.fromBytes(raw), cert);
    } catch (InvalidKeyException | IllegalArgumentException e) {
      throw new CertificateException("certificate of '" + id + "': malformed signing key: "
          + e.getMessage(), e);
    }
  }

  /**
   * Key lookup for the secure-aggregation engines: the relayed certificate must verify, name the
   * site it is relayed for, and be a site's (the coordinator's certificate is refused).
   */
  public PeerKeys peerKeys() {
    return peerKeys(null);
  }

  /** As {@link #peerKeys()}, and a relayed certificate revoked by {@code revocations} (if not null) is refused. */
  public PeerKeys peerKeys(RevocationList revocations) {
    if (revocations != null && !revocations.issuedFor(this)) {
      throw new IllegalArgumentException("the revocation list belongs to another CA");
    }
    return (siteId, certificate) -> {
      CertifiedSite site;
      try {
        site = verify(certificate);
      } catch (CertificateException e) {
        throw new SecAggException(SecAggException.Reason.BAD_SIGNATURE,
            "site '" + siteId + "': " + e.getMessage());
      }
      if (!site.siteId().equals(siteId)) {
        throw new SecAggException(SecAggException.Reason.BAD_SIGNATURE, "certificate relayed for '"
            + siteId + "' names '" + site.siteId() + "'");
      }
      if (site.coordinator()) {
        // A coordinator that enrolled itself would be sent shares of its neighbours' secrets.
        throw new SecAggException(SecAggException.Reason.BAD_SIGNATURE, "certificate relayed for '"
            + siteId + "' is the coordinator's, which cannot take part in secure aggregation");
      }
      if (revocations != null) {
        try {
          revocations.check(site.certificate());
        } catch (CertificateException e) {
          throw new SecAggException(SecAggException.Reason.BAD_SIGNATURE,
              "site '" + siteId + "': " + e.getMessage());
        }
      }
      return site.signingKey();
    };
  }
}
