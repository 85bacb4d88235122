package org.fedtel.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.EncoderException;
import org.fedtel.protocol.v1.Envelope;

/** Writes an {@link Envelope} as one length-prefixed frame. */
@Sharable
final class EnvelopeEncoder extends MessageToByteEncoder<Envelope> {
  private final int maxFrameBytes;

  EnvelopeEncoder(int maxFrameBytes) {
    this.maxFrameBytes = maxFrameBytes;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, Envelope envelope, ByteBuf out) throws Exception {
    int size = envelope.getSerializedSize();
    if (size > maxFrameBytes) {
      // Our own bug or a misconfigured limit; the peer would reject it anyway.
      throw new EncoderException(
          "refusing to send a " + size + "-byte envelope; the frame limit is " + maxFrameBytes + " bytes");
    }
    out.ensureWritable(LengthPrefixedFrameDecoder.HEADER_BYTES + size);
    out.writeInt(size);
    try (var stream = new io.netty.buffer.ByteBufOutputStream(out)) {
      envelope.writeTo(stream);
    }
  }
}
