package org.fedtel.crypto;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRLException;
import java.security.cert.CRLReason;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateRevokedException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.util.io.pem.PemObject;
import org.fedtel.crypto.RevocationListException.Reason;

/**
 * A certificate revocation list (RFC 5280 §5) of the consortium CA, verified: issued and signed by
 * the CA, a complete (not delta, not indirect) version-2 CRL with a CRL number and a next-update
 * time that has not passed, no unknown critical extension. {@link #check} then refuses revoked
 * certificates.
 *
 * <p>A list whose next update has passed no longer says anything about revocation, so {@link
 * #check} refuses every certificate once that happens (fail closed, as RFC 5280 §6.3.3 leaves the
 * status undetermined): the CA must re-sign the list before then ({@code fedtel ca crl}).
 */
public final class RevocationList {
  /** PEM label of a CRL (RFC 7468 §6). */
  static final String PEM_TYPE = "X509 CRL";
  /** How far this-update may lie ahead of the verifier's clock (the CA's clock may run ahead). */
  static final Duration CLOCK_SKEW = Duration.ofHours(1);

  /** One revoked certificate. */
  public record Revoked(BigInteger serial, Instant revokedAt, CRLReason reason) {
    public Revoked {
      Objects.requireNonNull(serial, "serial");
      Objects.requireNonNull(revokedAt, "revokedAt");
      Objects.requireNonNull(reason, "reason");
    }
  }

  private final ConsortiumTrust trust;
  private final BigInteger number;
  private final Instant thisUpdate;
  private final Instant nextUpdate;
  private final Map<BigInteger, Revoked> revoked;

  private RevocationList(ConsortiumTrust trust, BigInteger number, Instant thisUpdate,
      Instant nextUpdate, Map<BigInteger, Revoked> revoked) {
    this.trust = trust;
    this.number = number;
    this.thisUpdate = thisUpdate;
    this.nextUpdate = nextUpdate;
    this.revoked = revoked;
  }

  /** Reads a PEM CRL ({@code -----BEGIN X509 CRL-----}) and verifies it against {@code trust}. */
  public static RevocationList load(Path pem, ConsortiumTrust trust)
      throws IOException, RevocationListException {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    List<PemObject> objects;
    try {
      objects = Pem.read(new StringReader(text), pem.toString());
    } catch (IOException e) {
      throw new RevocationListException(Reason.MALFORMED, e.getMessage(), e);
    }
    if (objects.size() != 1 || !objects.get(0).getType().equals(PEM_TYPE)) {
      throw new RevocationListException(Reason.MALFORMED,
          pem + ": expected exactly one PEM object of type " + PEM_TYPE);
    }
    return parse(objects.get(0).getContent(), trust, pem.toString());
  }

  /** Parses a DER CRL and verifies it against {@code trust}; {@code where} names it in errors. */
  public static RevocationList parse(byte[] der, ConsortiumTrust trust, String where)
      throws RevocationListException {
    Objects.requireNonNull(trust, "trust");
    X509CRL crl;
    try {
      crl = (X509CRL) CertificateFactory.getInstance("X.509")
          .generateCRL(new ByteArrayInputStream(der));
    } catch (CRLException | CertificateException | RuntimeException e) {
      throw new RevocationListException(Reason.MALFORMED,
          where + ": not a DER X.509 CRL: " + e.getMessage(), e);
    }
    X509Certificate ca = trust.caCertificate();
    if (!crl.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
      throw new RevocationListException(Reason.WRONG_ISSUER, where + ": issued by '"
          + crl.getIssuerX500Principal().getName() + "', not by the consortium CA '"
          + ca.getSubjectX500Principal().getName() + "'");
    }
    try {
      crl.verify(ca.getPublicKey());
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new RevocationListException(Reason.WRONG_ISSUER,
          where + ": signature does not verify with the consortium CA's key", e);
    }
    if (crl.getVersion() != 2) {
      throw new RevocationListException(Reason.MALFORMED,
          where + ": version " + crl.getVersion() + ", expected a version 2 CRL");
    }
    if (crl.hasUnsupportedCriticalExtension()) {
      throw new RevocationListException(Reason.MALFORMED, where
          + ": unsupported critical extensions " + crl.getCriticalExtensionOIDs());
    }
    if (crl.getExtensionValue(Extension.deltaCRLIndicator.getId()) != null
        || crl.getExtensionValue(Extension.issuingDistributionPoint.getId()) != null) {
      throw new RevocationListException(Reason.MALFORMED,
          where + ": delta or partitioned CRLs are not supported; expected a complete CRL");
    }
    BigInteger number = crlNumber(crl, where);
    if (crl.getNextUpdate() == null) {
      throw new RevocationListException(Reason.MALFORMED, where + ": no next-update time");
    }
    Instant thisUpdate = crl.getThisUpdate().toInstant();
    Instant nextUpdate = crl.getNextUpdate().toInstant();
    if (!nextUpdate.isAfter(thisUpdate)) {
      throw new RevocationListException(Reason.MALFORMED,
          where + ": next update " + nextUpdate + " is not after this update " + thisUpdate);
    }
    Instant now = trust.clock().instant();
    if (now.isAfter(nextUpdate)) {
      throw new RevocationListException(Reason.EXPIRED, where + ": expired at " + nextUpdate
          + " (now " + now + "); re-sign it with 'fedtel ca crl'");
    }
    if (thisUpdate.isAfter(now.plus(CLOCK_SKEW))) {
      throw new RevocationListException(Reason.NOT_YET_VALID,
          where + ": issued at " + thisUpdate + ", in the future (now " + now + ")");
    }
    Map<BigInteger, Revoked> revoked = new HashMap<>();
    Set<? extends X509CRLEntry> entries = crl.getRevokedCertificates();
    if (entries != null) {
      for (X509CRLEntry e : entries) {
        if (e.hasUnsupportedCriticalExtension() || e.getCertificateIssuer() != null) {
          throw new RevocationListException(Reason.MALFORMED, where + ": entry for serial "
              + e.getSerialNumber().toString(16) + " has unsupported extensions");
        }
        CRLReason reason = e.getRevocationReason() == null ? CRLReason.UNSPECIFIED
            : e.getRevocationReason();
        Revoked r = new Revoked(e.getSerialNumber(), e.getRevocationDate().toInstant(), reason);
        if (revoked.put(r.serial(), r) != null) {
          throw new RevocationListException(Reason.MALFORMED,
              where + ": serial " + r.serial().toString(16) + " is listed twice");
        }
      }
    }
    return new RevocationList(trust, number, thisUpdate, nextUpdate, revoked);
  }

  private static BigInteger crlNumber(X509CRL crl, String where) throws RevocationListException {
    byte[] ext = crl.getExtensionValue(Extension.cRLNumber.getId());
    if (ext == null) {
      throw new RevocationListException(Reason.MALFORMED, where + ": no CRL number");
    }
    try {
      return ASN1Integer.getInstance(ASN1OctetString.getInstance(ext).getOctets())
          .getPositiveValue();
    } catch (RuntimeException e) {
      throw new RevocationListException(Reason.MALFORMED, where + ": malformed CRL number", e);
    }
  }

  /** The CRL number (RFC 5280 §5.2.3): grows with every list the CA issues. */
  public BigInteger number() {
    return number;
  }

  public Instant thisUpdate() {
    return thisUpdate;
  }

  public Instant nextUpdate() {
    return nextUpdate;
  }

  /** The revoked certificates, by serial. */
  public Map<BigInteger, Revoked> revoked() {
    return Collections.unmodifiableMap(revoked);
  }

  /** The revoked serials in ascending order (for display). */
  public List<BigInteger> serials() {
    List<BigInteger> out = new ArrayList<>(revoked.keySet());
    Collections.sort(out);
    return out;
  }

  /**
   * Refuses {@code cert} if this list revokes it ({@link CertificateRevokedException}, with date
   * and reason), or if the list has expired by the trust's clock (a {@link CertificateException}
   * caused by a {@link RevocationListException} of reason EXPIRED). The caller has verified the
   * certificate under the CA; only certificates of this CA can be revoked by its list.
   */
  public void check(X509Certificate cert) throws CertificateException {
    Instant now = trust.clock().instant();
    if (now.isAfter(nextUpdate)) {
      String msg = "the consortium's revocation list expired at " + nextUpdate
          + ", so no certificate can be checked; re-sign it with 'fedtel ca crl'";
      throw new CertificateException(msg, new RevocationListException(Reason.EXPIRED, msg));
    }
    Revoked r = revoked.get(cert.getSerialNumber());
    X509Certificate ca = trust.caCertificate();
    if (r != null && cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
      throw new CertificateRevokedException(Date.from(r.revokedAt()), r.reason(),
          ca.getSubjectX500Principal(), Map.of());
    }
  }

  /** Whether this list belongs to {@code other}'s CA. */
  boolean issuedFor(ConsortiumTrust other) {
    return trust.caCertificate().equals(other.caCertificate());
  }

  @Override
  public String toString() {
    return "RevocationList[number " + number + ", " + revoked.size() + " revoked, next update "
        + nextUpdate + "]";
  }
}
