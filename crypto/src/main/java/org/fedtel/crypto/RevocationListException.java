package org.fedtel.crypto;

import java.security.cert.CRLException;
import java.util.Objects;

/** A certificate revocation list that cannot be used, and why. */
public final class RevocationListException extends CRLException {
  private static final long serialVersionUID = 1L;

  /** What was wrong with the list. */
  public enum Reason {
    /** Not PEM, not a DER X.509 CRL, or not the profile the consortium CA issues. */
    MALFORMED,
    /** Not issued, or not signed, by the consortium CA. */
    WRONG_ISSUER,
    /** Its next-update time has passed: it no longer says which certificates are revoked. */
    EXPIRED,
    /** Its this-update time is in the future (more than the allowed clock skew). */
    NOT_YET_VALID
  }

  private final Reason reason;

  public RevocationListException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public RevocationListException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
