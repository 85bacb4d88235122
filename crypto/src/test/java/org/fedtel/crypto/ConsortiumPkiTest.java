package org.fedtel.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedtel.crypto.secagg.AggregateResult;
import org.fedtel.crypto.secagg.ConsistencyCheck;
import org.fedtel.crypto.secagg.EncryptedShares;
import org.fedtel.crypto.secagg.KeyList;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.crypto.secagg.SecAggClient;
import org.fedtel.crypto.secagg.SecAggException;
import org.fedtel.crypto.secagg.SecAggParams;
import org.fedtel.crypto.secagg.SecAggServer;
import org.fedtel.crypto.secagg.SiteKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsortiumPkiTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-29T12:00:00Z"), ZoneOffset.UTC);

  @TempDir Path dir;

  static SecureRandom seeded(String label) throws Exception {
    SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
    r.setSeed(label.getBytes());
    return r;
  }

  @Test
  void issueAndLoad() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "test consortium", CLOCK, seeded("ca"));
    Path alpha = ca.issueSite("alpha");
    Path coord = ca.issueCoordinator(List.of("coord.example.org", "10.0.0.7"));
    for (Path p : new Path[] {dir.resolve("ca.key"), alpha.resolve("tls.key"),
        alpha.resolve("signing.key"), coord.resolve("tls.key"), coord.resolve("signing.key")}) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
    }
    SiteCredentials a = SiteCredentials.load(alpha, CLOCK);
    assertEquals("alpha", a.siteId());
    assertFalse(a.isCoordinator());
    assertEquals(2, a.certificateChain().length);
    assertEquals("EC", a.tlsPrivateKey().getAlgorithm());
    CertifiedSite who = a.trust().verify(a.certificateDer());
    assertEquals("alpha", who.siteId());
    assertEquals(a.signingKey().verifyingKey(), who.signingKey());
    byte[] msg = "data use".getBytes();
    who.signingKey().verify(msg, a.signingKey().sign(msg));
    SiteCredentials c = SiteCredentials.load(coord, CLOCK);
    assertEquals(ConsortiumCa.COORDINATOR_ID, c.siteId());
    assertTrue(c.isCoordinator());
    assertTrue(c.certificateChain()[0].getSubjectAlternativeNames().stream()
        .anyMatch(n -> n.get(1).equals("coord.example.org")));
    // The CA reopens from disk and issues more.
    ConsortiumCa again = ConsortiumCa.open(dir, CLOCK, seeded("again"));
    assertArrayEquals(ca.certificate().getEncoded(), again.certificate().getEncoded());
    assertEquals("beta", SiteCredentials.load(again.issueSite("beta"), CLOCK).siteId());
  }

  @Test
  void refusesToOverwriteAndRejectsBadNames() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", CLOCK, seeded("ca"));
    assertThrows(FileAlreadyExistsException.class, () -> ConsortiumCa.create(dir, "c", CLOCK, seeded("x")));
    ca.issueSite("alpha");
    assertThrows(FileAlreadyExistsException.class, () -> ca.issueSite("alpha"));
    ca.issueCoordinator(List.of());
    assertThrows(FileAlreadyExistsException.class, () -> ca.issueCoordinator(List.of()));
    for (String bad : new String[] {"", "-x", "a b", "../etc", "coordinator", "x".repeat(65)}) {
      assertThrows(IllegalArgumentException.class, () -> ca.issueSite(bad), bad);
    }
    assertThrows(java.nio.file.NoSuchFileException.class,
        () -> ConsortiumCa.open(dir.resolve("nowhere"), CLOCK, seeded("x")));
  }

  @Test
  void loadRejectsLooseKeysAndMismatchedKeys() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", CLOCK, seeded("ca"));
    Path alpha = ca.issueSite("alpha");
    Path beta = ca.issueSite("beta");
    Files.setPosixFilePermissions(alpha.resolve("signing.key"), PosixFilePermissions.fromString("rw-r--r--"));
    GeneralSecurityException loose = assertThrows(GeneralSecurityException.class,
        () -> SiteCredentials.load(alpha, CLOCK));
    assertTrue(loose.getMessage().contains("readable by others"), loose.getMessage());
    Files.setPosixFilePermissions(alpha.resolve("signing.key"), PosixFilePermissions.fromString("rw-------"));
    Files.copy(beta.resolve("signing.key"), alpha.resolve("signing.key"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThrows(GeneralSecurityException.class, () -> SiteCredentials.load(alpha, CLOCK));
    Files.copy(beta.resolve("tls.key"), alpha.resolve("tls.key"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThrows(GeneralSecurityException.class, () -> SiteCredentials.load(alpha, CLOCK));
    Files.writeString(beta.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assertThrows(java.security.cert.CertificateException.class, () -> SiteCredentials.load(beta, CLOCK));
  }

  @Test
  void trustRejectsForeignExpiredTamperedAndCaCertificates() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir.resolve("ours"), "ours", CLOCK, seeded("ca"));
    ConsortiumCa other = ConsortiumCa.create(dir.resolve("theirs"), "theirs", CLOCK, seeded("other"));
    SiteCredentials a = SiteCredentials.load(ca.issueSite("alpha"), CLOCK);
    SiteCredentials foreign = SiteCredentials.load(other.issueSite("alpha"), CLOCK);
    ConsortiumTrust trust = a.trust();
    assertThrows(CertificateException.class, () -> trust.verify(foreign.certificateDer()));
    ConsortiumTrust later = ConsortiumTrust.of(ca.certificate(),
        Clock.offset(CLOCK, Duration.ofDays(900)));
    assertThrows(CertificateException.class, () -> later.verify(a.certificateDer()));
    byte[] der = a.certificateDer();
    der[der.length - 10] ^= 1;
    assertThrows(CertificateException.class, () -> trust.verify(der));
    assertThrows(CertificateException.class, () -> trust.verify(new byte[0]));
    assertThrows(CertificateException.class, () -> trust.verify(new byte[] {0x30, 0x03, 1, 2, 3}));
    assertThrows(CertificateException.class, () -> trust.verify(ca.certificate().getEncoded()));
    // PeerKeys: the relayed certificate must name the site it is relayed for.
    PeerKeys keys = trust.peerKeys();
    assertEquals(a.signingKey().verifyingKey(), keys.signingKey("alpha", a.certificateDer()));
    SecAggException e = assertThrows(SecAggException.class, () -> keys.signingKey("beta", a.certificateDer()));
    assertEquals(SecAggException.Reason.BAD_SIGNATURE, e.reason());
    assertThrows(SecAggException.class, () -> keys.signingKey("alpha", foreign.certificateDer()));
    // Relayed certificates are verified; a site relayed without one must be known out of band.
    VerifyingKey outOfBand = SigningKey.fromSeed(new byte[SigningKey.SEED_LENGTH]).verifyingKey();
    PeerKeys mixed = PeerKeys.certifiedOrKnown(keys, java.util.Map.of("gamma", outOfBand));
    assertEquals(a.signingKey().verifyingKey(), mixed.signingKey("alpha", a.certificateDer()));
    assertEquals(outOfBand, mixed.signingKey("gamma", new byte[0]));
    assertEquals(SecAggException.Reason.UNKNOWN_SITE,
        assertThrows(SecAggException.class, () -> mixed.signingKey("alpha", new byte[0])).reason());
    assertThrows(SecAggException.class, () -> mixed.signingKey("gamma", foreign.certificateDer()));
  }

  /**
   * The coordinator's certificate verifies under the CA, but it must not be accepted as a
   * secure-aggregation participant's: honest sites would seal shares of their secrets to it.
   */
  @Test
  void peerKeysRefuseTheCoordinatorsCertificate() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", CLOCK, seeded("ca"));
    SiteCredentials alpha = SiteCredentials.load(ca.issueSite("alpha"), CLOCK);
    SiteCredentials coord = SiteCredentials.load(ca.issueCoordinator(List.of()), CLOCK);
    assertTrue(alpha.trust().verify(coord.certificateDer()).coordinator());
    for (PeerKeys keys : List.of(alpha.trust().peerKeys(),
        PeerKeys.certifiedOrKnown(alpha.trust().peerKeys(), Map.of()))) {
      SecAggException e = assertThrows(SecAggException.class,
          () -> keys.signingKey(ConsortiumCa.COORDINATOR_ID, coord.certificateDer()));
      assertEquals(SecAggException.Reason.BAD_SIGNATURE, e.reason());
      assertTrue(e.getMessage().contains("coordinator's"), e.getMessage());
      // Control: a site's certificate is still accepted.
      assertEquals(alpha.signingKey().verifyingKey(), keys.signingKey("alpha", alpha.certificateDer()));
    }
  }

  /** A round in which every site's keys are checked against certificates relayed by the server. */
  @Test
  void secureAggregationWithCertifiedKeys() throws Exception {
    ConsortiumCa ca = ConsortiumCa.create(dir, "c", CLOCK, seeded("ca"));
    List<String> ids = List.of("alpha", "beta", "gamma", "delta");
    List<SiteCredentials> creds = new ArrayList<>();
    for (String id : ids) {
      creds.add(SiteCredentials.load(ca.issueSite(id), CLOCK));
    }
    SecAggParams p = SecAggParams.recommended(5, ids, 16, 3, new byte[32]);
    PeerKeys trust = creds.get(0).trust().peerKeys();
    SecAggServer server = new SecAggServer(p, trust);
    List<SecAggClient> clients = new ArrayList<>();
    for (SiteCredentials c : creds) {
      SecAggClient client = new SecAggClient(p, c.siteId(), c.signingKey(), trust, seeded(c.siteId()));
      clients.add(client);
      server.receiveAdvertisement(c.siteId(), c.certificateDer(), client.advertiseKeys());
    }
    // A relayed certificate of the wrong site is refused at the server.
    SecAggServer other = new SecAggServer(p, trust);
    SecAggException wrongCert = assertThrows(SecAggException.class, () -> other.receiveAdvertisement(
        "beta", creds.get(0).certificateDer(), new SecAggClient(p, "beta", creds.get(1).signingKey(),
            trust, seeded("b")).advertiseKeys()));
    assertEquals(SecAggException.Reason.BAD_SIGNATURE, wrongCert.reason());
    KeyList keys = server.keyList();
    for (SiteKeys k : keys.sites()) {
      assertTrue(k.certificate().length > 0);
    }
    for (int i = 0; i < 4; i++) {
      server.receiveShares(ids.get(i), clients.get(i).shareKeys(keys));
    }
    Map<String, EncryptedShares> routed = server.routedShares();
    long[][] x = {{1, 2, 3}, {10, 20, 30}, {100, 200, 300}, {65535, 65535, 65535}};
    for (int i = 0; i < 4; i++) {
      server.receiveMaskedInput(ids.get(i), clients.get(i).maskedInput(routed.get(ids.get(i)), x[i]));
    }
    ConsistencyCheck check = server.consistencyCheck();
    for (int i = 0; i < 4; i++) {
      server.receiveConsistencySignature(ids.get(i), clients.get(i).consistencySignature(check));
    }
    var req = server.unmaskRequest();
    assertEquals(4, req.signatures().size());
    for (int i = 0; i < 4; i++) {
      server.receiveUnmaskShares(ids.get(i), clients.get(i).unmask(req));
    }
    AggregateResult r = server.aggregate();
    assertArrayEquals(new long[] {110, 221, 332}, r.sum());
  }
}
