package org.fedtel.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.fedtel.protocol.ProtocolViolationException.Reason;

/**
 * Splits the byte stream into frames of a 4-byte big-endian unsigned length followed by that many
 * bytes.
 *
 * <p>The length is checked against the maximum before any payload is buffered, so an oversized
 * frame costs nothing but its 4-byte header. After the first violation the decoder discards all
 * further input: the connection is being closed and nothing more from it is trusted. A connection
 * that ends inside a frame raises {@link Reason#TRUNCATED_FRAME} rather than dropping the partial
 * bytes silently.
 */
final class LengthPrefixedFrameDecoder extends ByteToMessageDecoder {
  static final int HEADER_BYTES = 4;

  private final int maxFrameBytes;
  private boolean failed;

  LengthPrefixedFrameDecoder(int maxFrameBytes) {
    if (maxFrameBytes <= 0) {
      throw new IllegalArgumentException("maxFrameBytes must be positive, was " + maxFrameBytes);
    }
    this.maxFrameBytes = maxFrameBytes;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (in.readableBytes() < HEADER_BYTES) {
      return;
    }
    long length = in.getUnsignedInt(in.readerIndex());
    if (length > maxFrameBytes) {
      fail(in);
      throw new ProtocolViolationException(
          Reason.FRAME_TOO_LARGE,
          "frame of " + length + " bytes exceeds the maximum of " + maxFrameBytes + " bytes");
    }
    if (in.readableBytes() < HEADER_BYTES + length) {
      return;
    }
    in.skipBytes(HEADER_BYTES);
    out.add(in.readRetainedSlice((int) length));
  }

  @Override
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    decode(ctx, in, out);
    if (!failed && in.isReadable()) {
      int buffered = in.readableBytes();
      fail(in);
      throw new ProtocolViolationException(
          Reason.TRUNCATED_FRAME,
          "connection closed inside a frame (" + buffered + " bytes of an incomplete frame)");
    }
  }

  private void fail(ByteBuf in) {
    failed = true;
    in.skipBytes(in.readableBytes());
  }
}
