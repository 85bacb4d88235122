package org.fedtel.coordinator;

import org.fedtel.protocol.v1.Envelope;

/** An envelope the engine wants delivered to one site; the carrier (Netty, in-memory) sends it. */
public record Outbound(String siteId, Envelope envelope) {
  public Outbound {
    if (siteId == null || siteId.isEmpty() || envelope == null) {
      throw new IllegalArgumentException("an outbound message needs a site id and an envelope");
    }
  }
}
