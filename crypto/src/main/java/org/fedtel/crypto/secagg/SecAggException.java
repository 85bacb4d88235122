package org.fedtel.crypto.secagg;

import java.security.GeneralSecurityException;
import java.util.Objects;

/**
 * A secure-aggregation message or round that cannot be accepted. The {@link Reason} says what kind
 * of failure it is (so a coordinator can map it to a wire error); the message says where.
 */
public final class SecAggException extends GeneralSecurityException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Reason {
    /** A message belongs to another round. */
    WRONG_ROUND,
    /** A site id that is not a participant of the round. */
    UNKNOWN_SITE,
    /** A site id listed or heard from twice. */
    DUPLICATE_SITE,
    /** A field has the wrong length, range or shape. */
    MALFORMED,
    /** An advertised key's signature or certificate does not verify. */
    BAD_SIGNATURE,
    /** An encrypted share fails authentication (tampered, misrouted or replayed). */
    TAMPERED,
    /** Fewer than the threshold of sites remain where reconstruction needs them. */
    TOO_FEW_SURVIVORS,
    /** A site refuses a request that would break its safety rules. */
    REFUSED,
    /** Shares of one secret do not lie on one polynomial, or a key does not match its public key. */
    INCONSISTENT_SHARES,
    /** A message arrives in a phase that is already closed or not yet open. */
    OUT_OF_PHASE
  }

  private final Reason reason;

  public SecAggException(Reason reason, String message) {
    super(reason + ": " + message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
