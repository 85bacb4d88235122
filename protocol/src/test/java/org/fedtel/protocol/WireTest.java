package org.fedtel.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.EncoderException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.fedtel.protocol.ProtocolViolationException.Reason;
import org.fedtel.protocol.v1.Envelope;
import org.fedtel.protocol.v1.Heartbeat;
import org.fedtel.protocol.v1.MaskedInput;
import org.junit.jupiter.api.Test;

class WireTest {
  private final List<ProtocolViolationException> violations = new ArrayList<>();

  private EmbeddedChannel channel(int maxFrameBytes) {
    EmbeddedChannel ch = new EmbeddedChannel();
    Wire.install(ch.pipeline(), maxFrameBytes, (ctx, v) -> violations.add(v));
    return ch;
  }

  private static Envelope heartbeat(long round) {
    return Wire.envelope("site-a", round, 7).setHeartbeat(Heartbeat.newBuilder().setEpochMillis(42)).build();
  }

  private static ByteBuf frame(byte[] payload) {
    ByteBuf buf = Unpooled.buffer();
    buf.writeInt(payload.length);
    buf.writeBytes(payload);
    return buf;
  }

  @Test
  void roundTripsEnvelopesThroughEncoderAndDecoder() {
    EmbeddedChannel sender = channel(Wire.DEFAULT_MAX_FRAME_BYTES);
    Envelope sent = Wire.envelope("site-a", 3, 1)
        .setMaskedInput(MaskedInput.newBuilder().addValues(-1L).addValues(Long.MIN_VALUE).addValues(5).setWeight(12))
        .build();
    assertTrue(sender.writeOutbound(sent, heartbeat(3)));

    EmbeddedChannel receiver = channel(Wire.DEFAULT_MAX_FRAME_BYTES);
    ByteBuf wire;
    while ((wire = sender.readOutbound()) != null) {
      // Deliver byte by byte: frames must reassemble across arbitrary TCP segmentation.
      while (wire.isReadable()) {
        receiver.writeInbound(wire.readRetainedSlice(1));
      }
      wire.release();
    }
    assertEquals(sent, receiver.readInbound());
    assertEquals(heartbeat(3), receiver.readInbound());
    assertNull(receiver.readInbound());
    assertTrue(receiver.isOpen());
    assertTrue(violations.isEmpty());
  }

  @Test
  void frameOverTheLimitIsRejectedFromItsHeaderAlone() {
    EmbeddedChannel ch = channel(1024);
    ByteBuf header = Unpooled.buffer().writeInt(1025);
    ch.writeInbound(header);
    assertViolation(ch, Reason.FRAME_TOO_LARGE, "1025 bytes exceeds the maximum of 1024");
  }

  @Test
  void hugeDeclaredLengthDoesNotAllocate() {
    EmbeddedChannel ch = channel(Wire.DEFAULT_MAX_FRAME_BYTES);
    ch.writeInbound(Unpooled.buffer().writeInt(0xFFFFFFFF).writeBytes(new byte[100]));
    assertViolation(ch, Reason.FRAME_TOO_LARGE, "4294967295 bytes");
  }

  @Test
  void defaultLimitIs64MiB() {
    assertEquals(64 * 1024 * 1024, Wire.DEFAULT_MAX_FRAME_BYTES);
    EmbeddedChannel ch = channel(Wire.DEFAULT_MAX_FRAME_BYTES);
    ch.writeInbound(Unpooled.buffer().writeInt(Wire.DEFAULT_MAX_FRAME_BYTES + 1));
    assertViolation(ch, Reason.FRAME_TOO_LARGE, "67108865 bytes");
  }

  @Test
  void connectionEndingInsideAFrameIsATruncatedFrame() {
    EmbeddedChannel ch = channel(1024);
    byte[] whole = heartbeat(1).toByteArray();
    ByteBuf partial = Unpooled.buffer().writeInt(whole.length).writeBytes(whole, 0, whole.length - 2);
    ch.writeInbound(partial);
    assertTrue(ch.isOpen(), "an incomplete frame is waited for while the connection is open");
    ch.close();
    assertEquals(1, violations.size());
    assertEquals(Reason.TRUNCATED_FRAME, violations.get(0).reason());
    assertNull(ch.readInbound());
  }

  @Test
  void connectionEndingInsideTheHeaderIsATruncatedFrame() {
    EmbeddedChannel ch = channel(1024);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0}));
    ch.close();
    assertEquals(1, violations.size());
    assertEquals(Reason.TRUNCATED_FRAME, violations.get(0).reason());
  }

  @Test
  void garbageBytesAreRejected() {
    EmbeddedChannel ch = channel(Wire.DEFAULT_MAX_FRAME_BYTES);
    // An HTTP request sent to the wire port: "GET " reads as a length of 1.2 GB.
    ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII));
    assertViolation(ch, Reason.FRAME_TOO_LARGE, "exceeds the maximum");
  }

  @Test
  void garbageInsideAWellFormedFrameIsMalformed() {
    EmbeddedChannel ch = channel(1024);
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01, 0x02};
    ch.writeInbound(frame(garbage));
    assertViolation(ch, Reason.MALFORMED_FRAME, "not a fedtel envelope");
  }

  @Test
  void envelopeWithoutBodyIsMalformed() {
    EmbeddedChannel ch = channel(1024);
    ch.writeInbound(frame(Wire.envelope("site-a", 1, 1).build().toByteArray()));
    assertViolation(ch, Reason.MALFORMED_FRAME, "has no body");
  }

  @Test
  void envelopeWithoutSenderIsMalformed() {
    EmbeddedChannel ch = channel(1024);
    ch.writeInbound(frame(heartbeat(1).toBuilder().clearSenderId().build().toByteArray()));
    assertViolation(ch, Reason.MALFORMED_FRAME, "no sender id");
  }

  @Test
  void unknownProtocolVersionIsRejected() {
    EmbeddedChannel ch = channel(1024);
    ch.writeInbound(frame(heartbeat(1).toBuilder().setProtocolVersion(2).build().toByteArray()));
    assertViolation(ch, Reason.UNSUPPORTED_VERSION, "protocol version 2 is not supported");
  }

  @Test
  void missingProtocolVersionIsRejected() {
    EmbeddedChannel ch = channel(1024);
    ch.writeInbound(frame(heartbeat(1).toBuilder().clearProtocolVersion().build().toByteArray()));
    assertViolation(ch, Reason.UNSUPPORTED_VERSION, "protocol version 0");
  }

  @Test
  void bytesAfterAViolationAreDiscarded() {
    EmbeddedChannel ch = channel(1024);
    ByteBuf buf = Unpooled.buffer().writeInt(5000);
    buf.writeBytes(frame(heartbeat(1).toByteArray()));
    ch.writeInbound(buf);
    assertNull(ch.readInbound(), "nothing after a violation is delivered");
    assertEquals(1, violations.size());
  }

  @Test
  void encoderRefusesToSendAnOversizedEnvelope() {
    EmbeddedChannel ch = channel(16);
    Envelope big = Wire.envelope("site-a", 1, 1)
        .setMaskedInput(MaskedInput.newBuilder().addValues(1).addValues(2).addValues(3))
        .build();
    assertThrows(EncoderException.class, () -> ch.writeOutbound(big));
  }

  @Test
  void rejectsNonPositiveLimit() {
    assertThrows(IllegalArgumentException.class, () -> channel(0));
  }

  private void assertViolation(EmbeddedChannel ch, Reason reason, String messagePart) {
    assertEquals(1, violations.size(), "exactly one violation is reported");
    ProtocolViolationException v = violations.get(0);
    assertEquals(reason, v.reason());
    assertTrue(v.getMessage().contains(messagePart), () -> "message was: " + v.getMessage());
    assertFalse(ch.isOpen(), "the connection is closed");
    assertNull(ch.readInbound(), "nothing is delivered");
  }
}
