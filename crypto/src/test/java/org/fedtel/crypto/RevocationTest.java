package org.fedtel.crypto;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CRLReason;
import java.security.cert.CertificateException;
import java.security.cert.CertificateRevokedException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.fedtel.crypto.RevocationListException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revocation: the CA's records, the CRL it signs, and what a verifier accepts. */
class RevocationTest {
  @TempDir Path dir;

  /** A clock the test moves forward. */
  static final class SteppedClock extends Clock {
    Instant now;

    SteppedClock(Instant start) {
      now = start;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private static X509Certificate leaf(Path member) throws Exception {
    return Pem.certificates(member.resolve("cert.pem")).get(0);
  }

  @Test
  void revokedSiteIsInTheSignedListAndRefusedOthersPass() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", ConsortiumPkiTest.CLOCK, new SecureRandom());
    X509Certificate alpha = leaf(ca.issueSite("alpha"));
    X509Certificate beta = leaf(ca.issueSite("beta"));
    X509Certificate coord = leaf(ca.issueCoordinator(List.of()));
    assertEquals(Set.of("alpha", "beta", "coordinator"), Set.copyOf(ca.issued().stream()
        .map(ConsortiumCa.Issued::memberId).toList()));

    List<ConsortiumCa.Revocation> r = ca.revokeMember("alpha", CRLReason.KEY_COMPROMISE);
    assertEquals(1, r.size());
    assertEquals(alpha.getSerialNumber(), r.get(0).serial());
    Path file = ca.writeRevocationList(Duration.ofDays(7));
    assertTrue(Files.readString(file).startsWith("-----BEGIN X509 CRL-----"));

    ConsortiumTrust trust = ConsortiumTrust.of(ca.certificate(), ConsortiumPkiTest.CLOCK);
    RevocationList list = RevocationList.load(file, trust);
    assertEquals(BigInteger.ONE, list.number());
    assertEquals(List.of(alpha.getSerialNumber()), list.serials());
    assertEquals(CRLReason.KEY_COMPROMISE, list.revoked().get(alpha.getSerialNumber()).reason());
    assertEquals(ConsortiumPkiTest.CLOCK.instant().plus(Duration.ofDays(7)), list.nextUpdate());
    CertificateRevokedException e = assertThrows(CertificateRevokedException.class,
        () -> list.check(alpha));
    assertEquals(CRLReason.KEY_COMPROMISE, e.getRevocationReason());
    assertDoesNotThrow(() -> list.check(beta));
    assertDoesNotThrow(() -> list.check(coord));
    // Relayed in a KeyList: the revoked member's certificate is refused, the others give their keys.
    org.fedtel.crypto.secagg.PeerKeys keys = trust.peerKeys(list);
    assertEquals(org.fedtel.crypto.secagg.SecAggException.Reason.BAD_SIGNATURE, assertThrows(
        org.fedtel.crypto.secagg.SecAggException.class, () -> keys.signingKey("alpha", alpha.getEncoded())).reason());
    assertEquals(trust.verify(beta).signingKey(), keys.signingKey("beta", beta.getEncoded()));
    assertEquals(trust.verify(alpha).signingKey(), trust.peerKeys().signingKey("alpha", alpha.getEncoded()),
        "without the list the same certificate passes");

    // A second revocation, by serial, reopening the CA: the records persist, the number grows.
    ConsortiumCa again = ConsortiumCa.open(dir, ConsortiumPkiTest.CLOCK, new SecureRandom());
    again.revokeSerial(beta.getSerialNumber(), CRLReason.CESSATION_OF_OPERATION);
    RevocationList second = RevocationList.load(again.writeRevocationList(Duration.ofDays(7)),
        trust);
    assertEquals(BigInteger.TWO, second.number());
    assertEquals(Set.of(alpha.getSerialNumber(), beta.getSerialNumber()),
        second.revoked().keySet());
    assertEquals(CRLReason.CESSATION_OF_OPERATION,
        second.revoked().get(beta.getSerialNumber()).reason());
    assertThrows(CertificateRevokedException.class, () -> second.check(beta));
    assertDoesNotThrow(() -> second.check(coord));
    assertEquals(2, again.revocations().size());
    assertEquals("beta", again.revocations().get(1).memberId());
  }

  @Test
  void revocationRequestsThatCannotBeMetAreRefused() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", ConsortiumPkiTest.CLOCK, new SecureRandom());
    X509Certificate alpha = leaf(ca.issueSite("alpha"));
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> ca.revokeMember("nobody", CRLReason.UNSPECIFIED));
    assertTrue(unknown.getMessage().contains("no certificate to 'nobody'"), unknown.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ca.revokeSerial(BigInteger.valueOf(12345), CRLReason.UNSPECIFIED));
    assertThrows(IllegalArgumentException.class,
        () -> ca.revokeMember("alpha", CRLReason.CERTIFICATE_HOLD));
    ca.revokeMember("alpha", CRLReason.SUPERSEDED);
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> ca.revokeMember("alpha", CRLReason.SUPERSEDED));
    assertTrue(twice.getMessage().contains("already revoked"), twice.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ca.revokeSerial(alpha.getSerialNumber(), CRLReason.SUPERSEDED));
    assertEquals(1, ca.revocations().size());
    assertThrows(IllegalArgumentException.class, () -> ca.writeRevocationList(Duration.ZERO));
  }

  /** Certificates issued before issued.txt existed are still found (and so revocable). */
  @Test
  void membersIssuedBeforeTheRecordAreFoundInTheDirectory() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", ConsortiumPkiTest.CLOCK, new SecureRandom());
    X509Certificate alpha = leaf(ca.issueSite("alpha"));
    Files.delete(dir.resolve(ConsortiumCa.ISSUED));
    assertEquals(List.of(new ConsortiumCa.Issued(alpha.getSerialNumber(), "alpha",
        alpha.getNotAfter().toInstant())), ca.issued());
    assertEquals(alpha.getSerialNumber(),
        ca.revokeMember("alpha", CRLReason.UNSPECIFIED).get(0).serial());
  }

  @Test
  void aListFromAnotherCaIsRefused() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("a"), "c", ConsortiumPkiTest.CLOCK,
        new SecureRandom());
    ca.issueSite("alpha");
    // Same name, different key: the issuer matches, the signature does not.
    ConsortiumCa twin = ConsortiumCa.create(dir.resolve("b"), "c", ConsortiumPkiTest.CLOCK,
        new SecureRandom());
    twin.issueSite("alpha");
    twin.revokeMember("alpha", CRLReason.UNSPECIFIED);
    ConsortiumTrust trust = ConsortiumTrust.of(ca.certificate(), ConsortiumPkiTest.CLOCK);
    RevocationListException forged = assertThrows(RevocationListException.class,
        () -> RevocationList.load(twin.writeRevocationList(Duration.ofDays(1)), trust));
    assertEquals(Reason.WRONG_ISSUER, forged.reason());
    assertTrue(forged.getMessage().contains("signature"), forged.getMessage());

    ConsortiumCa other = ConsortiumCa.create(dir.resolve("o"), "other", ConsortiumPkiTest.CLOCK,
        new SecureRandom());
    RevocationListException foreign = assertThrows(RevocationListException.class,
        () -> RevocationList.load(other.writeRevocationList(Duration.ofDays(1)), trust));
    assertEquals(Reason.WRONG_ISSUER, foreign.reason());
    // ... and a trust manager will not take a list of another CA.
    RevocationList otherList = RevocationList.load(dir.resolve("o").resolve(ConsortiumCa.CRL),
        ConsortiumTrust.of(other.certificate(), ConsortiumPkiTest.CLOCK));
    assertThrows(IllegalArgumentException.class, () -> trust.trustManager(otherList));
  }

  @Test
  void malformedListsAreTypedErrors() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", ConsortiumPkiTest.CLOCK, new SecureRandom());
    ca.issueSite("alpha");
    ca.revokeMember("alpha", CRLReason.KEY_COMPROMISE);
    Path good = ca.writeRevocationList(Duration.ofDays(1));
    ConsortiumTrust trust = ConsortiumTrust.of(ca.certificate(), ConsortiumPkiTest.CLOCK);
    byte[] der = Pem.single(good, RevocationList.PEM_TYPE);

    Path garbage = dir.resolve("garbage.pem");
    Files.writeString(garbage, "not a pem file\n");
    assertEquals(Reason.MALFORMED, assertThrows(RevocationListException.class,
        () -> RevocationList.load(garbage, trust)).reason());
    Path cert = dir.resolve("ca.crt");
    assertEquals(Reason.MALFORMED, assertThrows(RevocationListException.class,
        () -> RevocationList.load(cert, trust)).reason());
    Path wrongContent = dir.resolve("wrong.pem");
    Files.writeString(wrongContent, Pem.encode(RevocationList.PEM_TYPE,
        "hello".getBytes(StandardCharsets.US_ASCII)));
    assertEquals(Reason.MALFORMED, assertThrows(RevocationListException.class,
        () -> RevocationList.load(wrongContent, trust)).reason());
    byte[] truncated = java.util.Arrays.copyOf(der, der.length - 10);
    assertEquals(Reason.MALFORMED, assertThrows(RevocationListException.class,
        () -> RevocationList.parse(truncated, trust, "truncated")).reason());
    // One bit of the signed part flipped: the entry's serial (near the start of the body).
    int flips = 0;
    for (int i = 40; i < der.length - 80; i += 7) {
      byte[] tampered = der.clone();
      tampered[i] ^= 1;
      RevocationListException e = assertThrows(RevocationListException.class,
          () -> RevocationList.parse(tampered, trust, "tampered"), "byte " + i);
      assertTrue(e.reason() == Reason.WRONG_ISSUER || e.reason() == Reason.MALFORMED,
          e.reason() + " at byte " + i);
      flips++;
    }
    assertTrue(flips > 10);
    assertDoesNotThrow(() -> RevocationList.parse(der, trust, "untouched"));
    Path two = dir.resolve("two.pem");
    Files.writeString(two, Files.readString(good) + Files.readString(good));
    assertEquals(Reason.MALFORMED, assertThrows(RevocationListException.class,
        () -> RevocationList.load(two, trust)).reason());
    Path typed = dir.resolve("typed.pem");
    Files.writeString(typed, Pem.encode("CERTIFICATE", der));
    assertEquals(Reason.MALFORMED, assertThrows(RevocationListException.class,
        () -> RevocationList.load(typed, trust)).reason());
  }

  @Test
  void anExpiredListIsRefusedAndRefusesEveryone() throws Exception {
    SteppedClock clock = new SteppedClock(Instant.parse("2026-11-29T12:00:00Z"));
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", clock, new SecureRandom());
    X509Certificate alpha = leaf(ca.issueSite("alpha"));
    Path file = ca.writeRevocationList(Duration.ofDays(2));
    ConsortiumTrust trust = ConsortiumTrust.of(ca.certificate(), clock);
    RevocationList list = RevocationList.load(file, trust);
    assertDoesNotThrow(() -> list.check(alpha));

    clock.now = clock.now.plus(Duration.ofDays(2)).plusSeconds(1);
    assertEquals(Reason.EXPIRED, assertThrows(RevocationListException.class,
        () -> RevocationList.load(file, trust)).reason());
    CertificateException stale = assertThrows(CertificateException.class, () -> list.check(alpha));
    assertEquals(Reason.EXPIRED,
        assertInstanceOf(RevocationListException.class, stale.getCause()).reason());
    // Re-signing gives a fresh list with the next number.
    RevocationList fresh = RevocationList.load(ca.writeRevocationList(Duration.ofDays(2)), trust);
    assertEquals(BigInteger.TWO, fresh.number());
    assertDoesNotThrow(() -> fresh.check(alpha));

    // Issued by a CA whose clock runs two hours ahead: not yet valid.
    SteppedClock ahead = new SteppedClock(clock.now.plus(Duration.ofHours(2)));
    Path future = ConsortiumCa.open(dir, ahead, new SecureRandom())
        .writeRevocationList(Duration.ofDays(2));
    assertEquals(Reason.NOT_YET_VALID, assertThrows(RevocationListException.class,
        () -> RevocationList.load(future, trust)).reason());
  }
}
