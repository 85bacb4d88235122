package org.fedtel.ledger;

import java.nio.charset.StandardCharsets;
import java.security.SignatureException;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.ledger.v1.DataUseBody;

/**
 * The two signatures on a data-use entry. Each signed message starts with its own context string so
 * that a signature made for one purpose (a site's data-use body, the coordinator's countersignature,
 * a checkpoint note) can never be replayed as another.
 */
public final class DataUseSignatures {
  static final byte[] SITE_CONTEXT = "fedtel/ledger/data-use/v1\n".getBytes(StandardCharsets.US_ASCII);
  static final byte[] COORDINATOR_CONTEXT =
      "fedtel/ledger/data-use/coordinator/v1\n".getBytes(StandardCharsets.US_ASCII);

  private DataUseSignatures() {}

  /** A site's signature over the serialized {@code body} it will send (DataUseRecord.site_signature). */
  public static byte[] signBySite(SigningKey siteKey, byte[] body) {
    return siteKey.sign(concat(SITE_CONTEXT, body, new byte[0]));
  }

  /** Serializes {@code body} once; send these exact bytes together with {@link #signBySite}. */
  public static byte[] serialize(DataUseBody body) {
    return body.toByteArray();
  }

  public static void verifySite(VerifyingKey siteKey, byte[] body, byte[] signature) throws SignatureException {
    siteKey.verify(concat(SITE_CONTEXT, body, new byte[0]), signature);
  }

  static byte[] signByCoordinator(SigningKey coordinatorKey, byte[] body, byte[] siteSignature) {
    return coordinatorKey.sign(concat(COORDINATOR_CONTEXT, body, siteSignature));
  }

  static void verifyCoordinator(VerifyingKey coordinatorKey, byte[] body, byte[] siteSignature, byte[] signature)
      throws SignatureException {
    coordinatorKey.verify(concat(COORDINATOR_CONTEXT, body, siteSignature), signature);
  }

  private static byte[] concat(byte[] a, byte[] b, byte[] c) {
    byte[] out = new byte[a.length + b.length + c.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    System.arraycopy(c, 0, out, a.length + b.length, c.length);
    return out;
  }
}
