package org.fedtel.siteagent;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.net.InetSocketAddress;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;
import org.fedtel.crypto.CertifiedSite;
import org.fedtel.crypto.ConsortiumTrust;
import org.fedtel.crypto.RevocationList;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.Envelope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries a {@link SiteSession} to the coordinator over TCP with mutual TLS 1.3, reconnecting with
 * exponential backoff (capped) whenever the connection fails or drops; each connection gets a fresh
 * session from the supplier (which shares the site's budget), so a site that misses a round joins
 * the next.
 */
public final class SiteClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SiteClient.class);

  private final Supplier<SiteSession> sessions;
  private final SslContext ssl;
  private final InetSocketAddress coordinator;
  private final long minBackoffMillis;
  private final long maxBackoffMillis;
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private volatile boolean closed;
  private volatile Channel channel;
  private volatile int connections;
  private long backoff;
  private volatile long silenceNanos = TimeUnit.SECONDS.toNanos(60);

  /**
   * Closes the connection (and so reconnects) when nothing has come from the coordinator for
   * {@code timeout} (default 60 s) — a coordinator sends heartbeats every few seconds, so silence means
   * a vanished host or a half-open connection. Time spent handling a message (training) does not
   * count: handling happens on the connection's thread and the clock restarts when it ends.
   */
  public SiteClient silenceTimeout(java.time.Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("silence timeout must be positive, got " + timeout);
    }
    this.silenceNanos = timeout.toNanos();
    return this;
  }

  public SiteClient(Supplier<SiteSession> sessions, SslContext ssl, InetSocketAddress coordinator,
                    long minBackoffMillis, long maxBackoffMillis) {
    if (minBackoffMillis <= 0 || maxBackoffMillis < minBackoffMillis) {
      throw new IllegalArgumentException("backoff must satisfy 0 < min <= max");
    }
    this.sessions = sessions;
    this.ssl = ssl;
    this.coordinator = coordinator;
    this.minBackoffMillis = minBackoffMillis;
    this.maxBackoffMillis = maxBackoffMillis;
    this.backoff = minBackoffMillis;
  }

  /**
   * TLS 1.3 with the site's certificate. The server must present either one of {@code trusted} itself
   * (a pinned coordinator certificate) or a certificate that a {@code trusted} consortium CA issued to
   * the coordinator: a certificate the CA issued to a site is refused at the handshake, or any member
   * could serve as the coordinator.
   */
  public static SslContext tls(PrivateKey key, X509Certificate[] chain, X509Certificate... trusted) throws SSLException {
    X509Certificate[] anchors = trusted.clone();
    return tls(key, chain, new CoordinatorTrustManager(org.fedtel.crypto.PkixTrust.over(anchors), leaf -> {
      CertificateException last = null;
      for (X509Certificate anchor : anchors) {
        if (anchor.equals(leaf)) {
          return; // pinned
        }
        try {
          requireCoordinator(ConsortiumTrust.of(anchor, Clock.systemUTC()).verify(leaf));
          return;
        } catch (CertificateException e) {
          last = e;
        }
      }
      throw last != null ? last : new CertificateException("no trusted certificate");
    }));
  }

  /**
   * TLS 1.3 with the site's certificate and the consortium's trust (and its revocation list, if not
   * null): the server's certificate must be one the CA issued to the coordinator and, if
   * {@code coordinator} is not null (the coordinator certificate the site's configuration names),
   * exactly that certificate.
   */
  public static SslContext tls(PrivateKey key, X509Certificate[] chain, ConsortiumTrust trust, RevocationList revocations,
                               X509Certificate coordinator) throws SSLException {
    X509ExtendedTrustManager chains = revocations == null ? trust.trustManager() : trust.trustManager(revocations);
    return tls(key, chain, new CoordinatorTrustManager(chains, leaf -> {
      CertifiedSite member = trust.verify(leaf);
      requireCoordinator(member);
      if (coordinator != null && !coordinator.equals(leaf)) {
        throw new CertificateException("the server's coordinator certificate (serial " + leaf.getSerialNumber().toString(16)
            + ") is not the one this site is configured with (serial " + coordinator.getSerialNumber().toString(16) + ")");
      }
    }));
  }

  private static void requireCoordinator(CertifiedSite member) throws CertificateException {
    if (!member.coordinator()) {
      throw new CertificateException("the server presents the certificate of site '" + member.siteId()
          + "', not the coordinator's");
    }
  }

  private static SslContext tls(PrivateKey key, X509Certificate[] chain, CoordinatorTrustManager trust) throws SSLException {
    // No host-name check: the coordinator is identified by its certificate (the CA's coordinator
    // certificate, or a pinned one), not by a DNS name, so sites can reach it by any address.
    return SslContextBuilder.forClient().keyManager(key, chain).trustManager(trust)
        .endpointIdentificationAlgorithm(null).protocols("TLSv1.3").build();
  }

  /** Starts connecting (and reconnecting) in the background. */
  public void start() {
    connect();
  }

  /** Number of successful TLS handshakes so far. */
  public int connections() {
    return connections;
  }

  /** Closes the current connection, as if the network failed; the client reconnects. */
  public void dropConnection() {
    Channel ch = channel;
    if (ch != null) {
      ch.close();
    }
  }

  private void connect() {
    if (closed) {
      return;
    }
    try {
      connectOnce();
    } catch (RuntimeException e) {
      // A scheduled task's exception would be lost and the site would never reconnect.
      scheduleReconnect("connect attempt failed: " + e);
    }
  }

  private void connectOnce() {
    SiteSession session = sessions.get();
    Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc(), coordinator.getHostString(), coordinator.getPort()));
            Wire.install(ch.pipeline(), Wire.DEFAULT_MAX_FRAME_BYTES, (ctx, v) -> { });
            ch.pipeline().addBefore(Wire.ERROR_HANDLER, "fedtel-session", new SessionHandler(session, silenceNanos));
            ch.pipeline().addLast("fedtel-close-on-error", new CloseOnError());
          }
        });
    ChannelFuture f = b.connect(coordinator);
    f.addListener(done -> {
      if (!done.isSuccess()) {
        scheduleReconnect("connect failed: " + done.cause().getMessage());
      } else {
        channel = f.channel();
        f.channel().closeFuture().addListener(c -> scheduleReconnect("connection closed"));
      }
    });
  }

  private synchronized void scheduleReconnect(String why) {
    if (closed) {
      return;
    }
    long wait = backoff;
    backoff = Math.min(maxBackoffMillis, backoff * 2);
    log.info("site reconnecting in {} ms ({})", wait, why);
    group.schedule(this::connect, wait, TimeUnit.MILLISECONDS);
  }

  private final class SessionHandler extends SimpleChannelInboundHandler<Envelope> {
    private final SiteSession session;
    private final long silence;
    /** When the last message arrived or finished being handled (the connection's thread only). */
    private long lastHeard = System.nanoTime();

    SessionHandler(SiteSession session, long silenceNanos) {
      this.session = session;
      this.silence = silenceNanos;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      lastHeard = System.nanoTime();
      scheduleSilenceCheck(ctx);
      super.channelActive(ctx);
    }

    /** Runs on the connection's own thread, so never while a message (training) is being handled. */
    private void scheduleSilenceCheck(ChannelHandlerContext ctx) {
      ctx.executor().schedule(() -> {
        if (!ctx.channel().isActive()) {
          return;
        }
        long quiet = System.nanoTime() - lastHeard;
        if (quiet >= silence) {
          log.warn("site {}: nothing from the coordinator for {} s; closing the connection to reconnect", session.siteId(),
              TimeUnit.NANOSECONDS.toSeconds(quiet));
          ctx.close();
        } else {
          scheduleSilenceCheck(ctx);
        }
      }, Math.max(1, silence / 4), TimeUnit.NANOSECONDS);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslHandshakeCompletionEvent hs) {
        if (hs.isSuccess()) {
          synchronized (SiteClient.this) {
            backoff = minBackoffMillis;
          }
          connections++;
          ctx.writeAndFlush(session.hello());
        } else {
          log.warn("TLS handshake with the coordinator failed: {}", hs.cause().getMessage());
          ctx.close();
        }
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Envelope e) {
      lastHeard = System.nanoTime();
      try {
        List<Envelope> replies = session.onEnvelope(e);
        for (Envelope r : replies) {
          ctx.write(r);
        }
        ctx.flush();
      } catch (RejectedMessageException ex) {
        log.warn("site {} refused a coordinator message: {} ({})", session.siteId(), ex.getMessage(), ex.reason());
      } finally {
        lastHeard = System.nanoTime(); // handling (training) may have taken long: that was not silence
      }
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

  @Override
  public void close() {
    closed = true;
    Channel ch = channel;
    if (ch != null) {
      ch.close().syncUninterruptibly();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
