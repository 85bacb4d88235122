package org.fedtel.protocol;

import io.netty.handler.codec.DecoderException;

/**
 * A peer sent bytes that break the wire protocol. The connection that carried them is closed.
 *
 * <p>Netty delivers decoder failures as exception events, so this extends {@link DecoderException};
 * {@link #reason()} tells the kinds apart without string matching.
 */
public class ProtocolViolationException extends DecoderException {
  private static final long serialVersionUID = 1L;

  /** What was wrong with the input. */
  public enum Reason {
    /** A frame declared more bytes than the configured maximum. */
    FRAME_TOO_LARGE,
    /** The connection ended inside a frame. */
    TRUNCATED_FRAME,
    /** A frame's bytes are not a valid envelope. */
    MALFORMED_FRAME,
    /** The envelope's protocol version is not one this build speaks. */
    UNSUPPORTED_VERSION
  }

  private final Reason reason;

  public ProtocolViolationException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public ProtocolViolationException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
