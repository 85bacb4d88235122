package org.fedtel.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import java.util.function.BiConsumer;
import org.fedtel.protocol.ProtocolViolationException.Reason;
import org.fedtel.protocol.v1.Envelope;

/**
 * The fedtel wire: constants, and the one place that assembles the framing handlers of a pipeline.
 *
 * <pre>
 *   inbound:  frame decoder (length prefix, limit) -> envelope decoder (protobuf, version) -> ... -> error handler
 *   outbound: envelope encoder (length prefix)
 * </pre>
 */
public final class Wire {
  /** The protocol version this build speaks. */
  public static final int PROTOCOL_VERSION = 1;
  /** Default maximum frame size: 64 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

  public static final String FRAME_DECODER = "fedtel-frame-decoder";
  public static final String ENVELOPE_DECODER = "fedtel-envelope-decoder";
  public static final String ENVELOPE_ENCODER = "fedtel-envelope-encoder";
  public static final String ERROR_HANDLER = "fedtel-protocol-errors";

  private Wire() {}

  /**
   * Adds the framing handlers to {@code pipeline}. Application handlers go between the decoders and
   * the error handler: add them with {@code pipeline.addBefore(Wire.ERROR_HANDLER, ...)}.
   *
   * @param maxFrameBytes largest accepted frame payload in bytes
   * @param onViolation called once per violation before the connection is closed
   */
  public static void install(
      ChannelPipeline pipeline,
      int maxFrameBytes,
      BiConsumer<ChannelHandlerContext, ProtocolViolationException> onViolation) {
    pipeline.addLast(FRAME_DECODER, new LengthPrefixedFrameDecoder(maxFrameBytes));
    pipeline.addLast(ENVELOPE_DECODER, EnvelopeDecoder.INSTANCE);
    pipeline.addLast(ENVELOPE_ENCODER, new EnvelopeEncoder(maxFrameBytes));
    pipeline.addLast(ERROR_HANDLER, new ProtocolErrorHandler(onViolation));
  }

  /** Starts an envelope with this build's protocol version. */
  public static Envelope.Builder envelope(String senderId, long round, long sequence) {
    return Envelope.newBuilder()
        .setProtocolVersion(PROTOCOL_VERSION)
        .setSenderId(senderId)
        .setRound(round)
        .setSequence(sequence);
  }

  /** Checks what every envelope must satisfy, whoever sent it. */
  static Envelope checkEnvelope(Envelope envelope) {
    if (envelope.getProtocolVersion() != PROTOCOL_VERSION) {
      throw new ProtocolViolationException(
          Reason.UNSUPPORTED_VERSION,
          "protocol version " + envelope.getProtocolVersion() + " is not supported (this build speaks version " + PROTOCOL_VERSION + ")");
    }
    if (envelope.getSenderId().isEmpty()) {
      throw new ProtocolViolationException(Reason.MALFORMED_FRAME, "envelope has no sender id");
    }
    if (envelope.getBodyCase() == Envelope.BodyCase.BODY_NOT_SET) {
      throw new ProtocolViolationException(
          Reason.MALFORMED_FRAME, "envelope from '" + envelope.getSenderId() + "' has no body (or one of a newer schema)");
    }
    return envelope;
  }
}
