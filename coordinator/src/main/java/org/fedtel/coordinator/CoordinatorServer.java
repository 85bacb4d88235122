package org.fedtel.coordinator;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.Envelope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries a {@link Federation} over TCP with mutual TLS. A site's identity is the common name of
 * the certificate it authenticated with, never the sender id of its envelopes; a peer without a
 * certificate from the trusted CA fails the handshake. The engine runs on one dedicated thread,
 * which also ticks it (deadlines, next round) every {@code tickMillis}.
 */
public final class CoordinatorServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorServer.class);

  private final Federation federation;
  private final SslContext ssl;
  private final int maxFrameBytes;
  private final ScheduledExecutorService engine = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "fedtel-coordinator-engine");
    t.setDaemon(true);
    return t;
  });
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  /**
   * Every accepted connection, so that {@link #close} closes each of them itself. Shutting the event
   * loops down is not enough: in a restart in the middle of a round, one site's connection stayed
   * open until the JVM ended (CoordinatorRestartTest), and that site waited on it.
   */
  private final io.netty.channel.group.ChannelGroup accepted =
      new io.netty.channel.group.DefaultChannelGroup(io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);
  /** Connected sites by certified id; touched only on the engine thread. */
  private final Map<String, Channel> channels = new HashMap<>();
  private Channel server;
  private boolean closed;
  private final java.util.concurrent.atomic.AtomicLong bytesIn = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong bytesOut = new java.util.concurrent.atomic.AtomicLong();

  /** @param ssl a server context requiring client certificates (see {@code TlsContexts}) */
  public CoordinatorServer(Federation federation, SslContext ssl, int maxFrameBytes) {
    this.federation = federation;
    this.ssl = ssl;
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Binds and starts ticking. @return the bound port */
  public int start(InetSocketAddress address, long tickMillis) throws InterruptedException {
    ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            accepted.add(ch);
            ch.pipeline().addLast("traffic", new TrafficCounter());
            ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc()));
            Wire.install(ch.pipeline(), maxFrameBytes, (ctx, v) -> { });
            ch.pipeline().addBefore(Wire.ERROR_HANDLER, "fedtel-site", new SiteHandler());
            ch.pipeline().addLast("fedtel-close-on-error", new CloseOnError());
          }
        });
    server = b.bind(address).sync().channel();
    engine.scheduleWithFixedDelay(this::tick, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Counts the bytes on the wire (TLS records included) for the dashboard's metrics. */
  private final class TrafficCounter extends io.netty.channel.ChannelDuplexHandler {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof io.netty.buffer.ByteBuf b) {
        bytesIn.addAndGet(b.readableBytes());
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
      if (msg instanceof io.netty.buffer.ByteBuf b) {
        bytesOut.addAndGet(b.readableBytes());
      }
      ctx.write(msg, promise);
    }
  }

  /**
   * What the dashboard shows of this running coordinator. Each call reads the engine's state on the
   * engine thread (the engine is single-threaded) and waits at most two seconds for it.
   */
  public org.fedtel.coordinator.dashboard.LiveSource liveSource() {
    return new org.fedtel.coordinator.dashboard.LiveSource() {
      @Override
      public List<SiteLink> sites() {
        return onEngineAndWait(() -> federation.siteStatus().stream()
            .map(s -> new SiteLink(s.siteId(), s.connected(), s.lastSeenEpochMillis())).toList());
      }

      @Override
      public java.util.Optional<RoundProgress> currentRound() {
        return onEngineAndWait(() -> federation.roundProgress()
            .map(p -> new RoundProgress(p.round(), p.phase(), p.sampled(), p.answered(), -1)));
      }

      @Override
      public List<RoundStats> roundStats() {
        return onEngineAndWait(() -> federation.history().stream().filter(RoundSummary::committed)
            .map(r -> new RoundStats(r.round(), r.meanTrainLoss(), r.metrics())).toList());
      }

      @Override
      public long bytesIn() {
        return bytesIn.get();
      }

      @Override
      public long bytesOut() {
        return bytesOut.get();
      }
    };
  }

  private <T> T onEngineAndWait(java.util.function.Supplier<T> query) {
    java.util.concurrent.CompletableFuture<T> f = new java.util.concurrent.CompletableFuture<>();
    engine.execute(() -> {
      try {
        f.complete(query.get());
      } catch (RuntimeException e) {
        f.completeExceptionally(e);
      }
    });
    try {
      return f.get(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the coordinator's state", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the coordinator's engine did not answer: " + e, e);
    }
  }

  /**
   * Deadlines and the next round. A failure here (the ledger or the state store cannot be written, or
   * an engine bug) stops the coordinator: the executor would otherwise cancel the tick silently, and
   * every deadline with it, leaving the sites connected to a coordinator that never moves again.
   */
  private void tick() {
    try {
      dispatch(federation.onTick());
      long now = System.nanoTime();
      if (now - lastHeartbeatNanos >= heartbeatNanos) {
        lastHeartbeatNanos = now;
        dispatch(federation.heartbeats());
      }
    } catch (RuntimeException e) {
      log.error("engine failure on a tick; stopping the coordinator", e);
      Thread stop = new Thread(this::close, "fedtel-coordinator-stop"); // close() waits for this thread's executor
      stop.setDaemon(true);
      stop.start();
    }
  }

  private volatile long heartbeatNanos = TimeUnit.SECONDS.toNanos(5);
  private long lastHeartbeatNanos = System.nanoTime();

  /**
   * How often every connected site gets a heartbeat (default 5 s), which sites use to detect a
   * vanished coordinator ({@code SiteClient.silenceTimeout}). Call before {@link #start}.
   */
  public CoordinatorServer heartbeatEvery(java.time.Duration interval) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("heartbeat interval must be positive, got " + interval);
    }
    this.heartbeatNanos = interval.toNanos();
    return this;
  }

  /** Whether the coordinator has stopped, by {@link #close} or after an engine failure. */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** Runs {@code task} on the engine thread. */
  public void onEngine(Runnable task) {
    engine.execute(task);
  }

  /**
   * Hands an event from a connection to the engine; once {@link #close} has stopped the engine,
   * events (such as the disconnections close itself causes) are dropped: a coordinator that is
   * stopping must not go on with the round, e.g. count its own closing of connections as dropouts.
   */
  private void fromNetwork(Runnable task) {
    try {
      engine.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("coordinator stopping: event from the network dropped");
    }
  }

  private void dispatch(List<Outbound> out) {
    for (Outbound o : out) {
      Channel ch = channels.get(o.siteId());
      if (ch != null) {
        ch.writeAndFlush(o.envelope());
      }
    }
  }

  /** The certified site id: the CN of the peer's leaf certificate. */
  static String certifiedId(SslHandler tls) throws SSLPeerUnverifiedException {
    Certificate[] chain = tls.engine().getSession().getPeerCertificates();
    X509Certificate leaf = (X509Certificate) chain[0];
    try {
      for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return rdn.getValue().toString();
        }
      }
    } catch (InvalidNameException e) {
      throw new SSLPeerUnverifiedException("peer certificate subject is not a valid name: " + e.getMessage());
    }
    throw new SSLPeerUnverifiedException("peer certificate has no common name (site id)");
  }

  /**
   * Relays each site's TLS certificate in the round's KeyList, so sites verify each other's signed
   * keys against the consortium CA instead of configured certificates (the sites' and this engine's
   * {@code PeerKeys} must then verify relayed certificates, e.g. {@code PeerKeys.certifiedOrKnown}).
   * Call before {@link #start}.
   */
  public CoordinatorServer relayCertificates() {
    this.relayCertificates = true;
    return this;
  }

  private volatile boolean relayCertificates;

  /** One per connection: learns the site id at the handshake, forwards envelopes to the engine. */
  private final class SiteHandler extends SimpleChannelInboundHandler<Envelope> {
    private String siteId;
    private byte[] certificate = new byte[0];
    private boolean helloSeen;

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslHandshakeCompletionEvent hs) {
        if (!hs.isSuccess()) {
          log.warn("TLS handshake with {} refused: {}", ctx.channel().remoteAddress(), hs.cause().getMessage());
          ctx.close();
          return;
        }
        try {
          SslHandler tls = ctx.pipeline().get(SslHandler.class);
          siteId = certifiedId(tls);
          if (relayCertificates) {
            certificate = tls.engine().getSession().getPeerCertificates()[0].getEncoded();
          }
        } catch (java.security.cert.CertificateEncodingException e) {
          log.warn("refusing {}: its certificate cannot be encoded: {}", ctx.channel().remoteAddress(), e.getMessage());
          ctx.close();
        } catch (SSLPeerUnverifiedException e) {
          log.warn("refusing {}: {}", ctx.channel().remoteAddress(), e.getMessage());
          ctx.close();
        }
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Envelope e) {
      Channel ch = ctx.channel();
      String id = siteId;
      byte[] cert = certificate;
      boolean first = !helloSeen;
      helloSeen = true;
      fromNetwork(() -> {
        try {
          if (first) {
            // Register the connection only once its hello is accepted, so that a bad first
            // message cannot displace the site's working connection.
            List<Outbound> out = federation.onHello(id, cert, e);
            Channel old = channels.put(id, ch);
            if (old != null && old != ch) {
              old.close();
            }
            dispatch(out);
          } else {
            dispatch(federation.onEnvelope(id, e));
          }
        } catch (RejectedMessageException ex) {
          log.warn("refused message from '{}': {} ({})", id, ex.getMessage(), ex.reason());
          ch.writeAndFlush(federation.errorFor(ex, e.getRound()));
          if (first || ex.reason() == RejectedMessageException.Reason.SENDER_MISMATCH) {
            ch.close();
          }
          // A refusal can end a site's part in the round (a refused consistency signature): move the
          // round on now rather than at the next tick.
          dispatch(federation.onTick());
        } catch (RuntimeException ex) {
          log.error("engine failure on a message from '{}'", id, ex);
        }
      });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      String id = siteId;
      Channel ch = ctx.channel();
      if (id != null) {
        fromNetwork(() -> {
          if (channels.get(id) == ch) {
            channels.remove(id);
            dispatch(federation.onDisconnect(id));
          }
        });
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.fireExceptionCaught(cause);
    }
  }

  /** Last handler: any other failure (TLS alerts, I/O errors) is logged in one line and closes the connection. */
  @io.netty.channel.ChannelHandler.Sharable
  private static final class CloseOnError extends io.netty.channel.ChannelInboundHandlerAdapter {
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Throwable root = cause;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      log.warn("closing connection with {}: {}", ctx.channel().remoteAddress(), root.getMessage());
      ctx.close();
    }
  }

  /** Stops serving: the engine, then the port and every connection, then the event loops. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    // The engine first (tasks already queued still run; the ticks stop), so that nothing the closing
    // below causes reaches it; then the port and every connection, which the sites see close at once.
    engine.shutdown();
    try {
      if (!engine.awaitTermination(5, TimeUnit.SECONDS)) {
        engine.shutdownNow();
      }
    } catch (InterruptedException e) {
      engine.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (server != null) {
      server.close().syncUninterruptibly();
    }
    accepted.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

}
