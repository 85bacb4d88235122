package org.fedtel.crypto.secagg;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * HKDF-SHA256 (RFC 5869) with a domain-separated info string: protocol id, purpose, round and the
 * two site ids, each length-prefixed so that no two distinct tuples encode alike. The same
 * encoding serves as signed transcript and GCM associated data.
 */
final class Kdf {
  static final String PROTOCOL = "fedtel-secagg-v1";

  private Kdf() {}

  static byte[] context(String purpose, long round, String a, String b) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(96);
    field(out, PROTOCOL.getBytes(StandardCharsets.US_ASCII));
    field(out, purpose.getBytes(StandardCharsets.US_ASCII));
    for (int i = 7; i >= 0; i--) {
      out.write((int) (round >>> (8 * i)));
    }
    field(out, a.getBytes(StandardCharsets.UTF_8));
    field(out, b.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static void field(ByteArrayOutputStream out, byte[] bytes) {
    out.write(bytes.length >>> 8);
    out.write(bytes.length);
    out.writeBytes(bytes);
  }

  static byte[] derive(byte[] ikm, String purpose, long round, String a, String b, int length) {
    HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
    hkdf.init(new HKDFParameters(ikm, null, context(purpose, round, a, b)));
    byte[] out = new byte[length];
    hkdf.generateBytes(out, 0, length);
    return out;
  }
}
