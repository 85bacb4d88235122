package org.fedtel.crypto;

import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * A consortium member as its CA-issued certificate names it: the site id the protocol uses
 * ({@value ConsortiumCa#COORDINATOR_ID} for the coordinator) and its certified Ed25519 signing key.
 */
public record CertifiedSite(String siteId, boolean coordinator, VerifyingKey signingKey,
    X509Certificate certificate) {
  public CertifiedSite {
    Objects.requireNonNull(siteId, "siteId");
    Objects.requireNonNull(signingKey, "signingKey");
    Objects.requireNonNull(certificate, "certificate");
  }
}
