package org.fedtel.protocol;

/**
 * A well-formed envelope that its receiver refuses (wrong sender, replay, wrong round, unexpected
 * body, bad content): it is dropped and the receiver's state is unchanged. The coordinator tells the
 * site why and carries on with the round; the site agent logs it and carries on. Never crashes either.
 */
public final class RejectedMessageException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a message was refused. */
  public enum Reason {
    /** The envelope's sender id is not the identity the connection authenticated. */
    SENDER_MISMATCH,
    /** The sender is not a party the receiver talks to (an enrolled, connected site; the coordinator). */
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
