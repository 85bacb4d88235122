package org.fedtel.protocol;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of the decoding side: a protocol violation is logged with the peer's address, handed
 * to the listener, and the connection is closed. Other exceptions continue down the pipeline.
 */
@Sharable
final class ProtocolErrorHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ProtocolErrorHandler.class);

  private final BiConsumer<ChannelHandlerContext, ProtocolViolationException> listener;

  ProtocolErrorHandler(BiConsumer<ChannelHandlerContext, ProtocolViolationException> listener) {
    this.listener = listener;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ProtocolViolationException violation = findViolation(cause);
    if (violation == null) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    log.warn("closing connection from {}: {} ({})", ctx.channel().remoteAddress(), violation.getMessage(), violation.reason());
    try {
      listener.accept(ctx, violation);
    } finally {
      ctx.close();
    }
  }

  private static ProtocolViolationException findViolation(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ProtocolViolationException v) {
        return v;
      }
    }
    return null;
  }
}
