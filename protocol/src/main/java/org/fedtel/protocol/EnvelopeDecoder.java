package org.fedtel.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;
import org.fedtel.protocol.ProtocolViolationException.Reason;
import org.fedtel.protocol.v1.Envelope;

/** Parses one frame into an {@link Envelope} and checks its protocol version and body. */
@Sharable
final class EnvelopeDecoder extends MessageToMessageDecoder<ByteBuf> {
  static final EnvelopeDecoder INSTANCE = new EnvelopeDecoder();

  private EnvelopeDecoder() {}

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
    Envelope envelope;
    try {
      envelope = Envelope.parseFrom(ByteBufUtil.getBytes(frame, frame.readerIndex(), frame.readableBytes(), false));
    } catch (InvalidProtocolBufferException e) {
      throw new ProtocolViolationException(
          Reason.MALFORMED_FRAME, "frame of " + frame.readableBytes() + " bytes is not a fedtel envelope: " + e.getMessage(), e);
    }
    out.add(Wire.checkEnvelope(envelope));
  }
}
