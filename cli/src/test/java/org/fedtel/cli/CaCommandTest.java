package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.fedtel.crypto.SiteCredentials;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end through the real command: CA, site and coordinator credentials, and bad input. */
class CaCommandTest {
  static FedtelCommandTest.Result run(String... args) {
    return FedtelCommandTest.run(args);
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void initAndIssue(@TempDir Path tmp) throws Exception {
    Path ca = tmp.resolve("ca");
    FedtelCommandTest.Result init = run("ca", "init", "--dir", ca.toString());
    assertEquals(0, init.exit(), init.err());
    assertTrue(init.out().contains("SHA-256 fingerprint"), init.out());
    assertEquals("rw-------", perms(ca.resolve("ca.key")));
    assertTrue(Files.readString(ca.resolve("ca.crt")).startsWith("-----BEGIN CERTIFICATE-----"));

    FedtelCommandTest.Result site = run("ca", "issue", "--dir", ca.toString(), "--site", "hpc-west");
    assertEquals(0, site.exit(), site.err());
    Path dir = ca.resolve("sites/hpc-west");
    assertEquals("rw-------", perms(dir.resolve("tls.key")));
    assertEquals("rw-------", perms(dir.resolve("signing.key")));
    SiteCredentials creds = SiteCredentials.load(dir, Clock.systemUTC());
    assertEquals("hpc-west", creds.siteId());

    FedtelCommandTest.Result coord = run("ca", "issue", "--dir", ca.toString(), "--coordinator",
        "--host", "agg.example.org,10.1.2.3");
    assertEquals(0, coord.exit(), coord.err());
    SiteCredentials c = SiteCredentials.load(ca.resolve("coordinator"), Clock.systemUTC());
    assertTrue(c.isCoordinator());
    assertTrue(c.certificateChain()[0].getSubjectAlternativeNames().stream()
        .anyMatch(n -> n.get(1).equals("10.1.2.3")));
  }

  @Test
  void badInputIsOneLineAndExitTwo(@TempDir Path tmp) throws Exception {
    Path ca = tmp.resolve("ca");
    expectUserError(run("ca", "issue", "--dir", ca.toString(), "--site", "a"), "no consortium CA");
    assertEquals(0, run("ca", "init", "--dir", ca.toString()).exit());
    String before = Files.readString(ca.resolve("ca.key"));
    expectUserError(run("ca", "init", "--dir", ca.toString()), "already exists");
    assertEquals(before, Files.readString(ca.resolve("ca.key")), "the CA key was overwritten");
    expectUserError(run("ca", "issue", "--dir", ca.toString(), "--site", "../evil"), "not a valid site id");
    expectUserError(run("ca", "issue", "--dir", ca.toString(), "--site", "coordinator"), "reserved");
    expectUserError(run("ca", "issue", "--dir", ca.toString(), "--site", "a", "--host", "x"), "--coordinator only");
    assertEquals(0, run("ca", "issue", "--dir", ca.toString(), "--site", "a").exit());
    expectUserError(run("ca", "issue", "--dir", ca.toString(), "--site", "a"), "already exist");
    FedtelCommandTest.Result both = run("ca", "issue", "--dir", ca.toString(), "--site", "b", "--coordinator");
    assertEquals(2, both.exit(), both.err());
    FedtelCommandTest.Result neither = run("ca", "issue", "--dir", ca.toString());
    assertEquals(2, neither.exit(), neither.err());
  }

  private static void expectUserError(FedtelCommandTest.Result r, String fragment) {
    assertEquals(2, r.exit(), r.out() + r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains(fragment), r.err());
  }
}
