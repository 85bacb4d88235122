package org.fedtel.siteagent;

/**
 * An envelope from the coordinator that the site refuses: it is dropped and logged, and
 * the session carries on. Never crashes the agent.
 */
public final class RejectedMessageException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a message was refused. */
  public enum Reason {
    /** The envelope's sender id is not the identity the connection authenticated. */
    SENDER_MISMATCH,
    /** The sender is not the coordinator. */
    UNKNOWN_SENDER,
    /** The sequence number is not above the last one seen on this connection. */
    REPLAY,
    /** The envelope belongs to another round than the one in progress. */
    WRONG_ROUND,
    /** The message is not one the current phase expects from this site. */
    UNEXPECTED_MESSAGE,
    /** A vector or field has the wrong length or an invalid value. */
    BAD_CONTENT
  }

  private final Reason reason;

  public RejectedMessageException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
