package org.fedtel.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedtel.crypto.ConsortiumCa;
import org.fedtel.crypto.ConsortiumTrust;
import org.fedtel.crypto.RevocationList;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "ca", mixinStandardHelpOptions = true,
    description = "The consortium certificate authority and site credentials.",
    subcommands = {CaCommand.Init.class, CaCommand.Issue.class, CaCommand.Revoke.class, CaCommand.Crl.class})
final class CaCommand {
  private CaCommand() {}

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = {"Create the consortium CA (ECDSA P-256 key and self-signed certificate).",
          "Writes DIR/ca.crt and DIR/ca.key (owner-only). Keep ca.key offline."})
  static final class Init implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "CA directory (created if absent).") Path dir;

    @Option(names = "--name", defaultValue = "fedtel consortium",
        description = "Common name of the CA (default: ${DEFAULT-VALUE}).") String name;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      try {
        ConsortiumCa ca = ConsortiumCa.create(dir, name, Clock.systemUTC(), new SecureRandom());
        PrintWriter out = spec.commandLine().getOut();
        out.println("created consortium CA '" + name + "' in " + dir);
        out.println("  " + dir.resolve("ca.crt") + "  certificate, give to every site");
        out.println("  " + dir.resolve("ca.key") + "  private key, rw-------");
        out.println("  SHA-256 fingerprint " + fingerprint(ca.certificate()));
        return 0;
      } catch (FileAlreadyExistsException e) {
        throw new UserException("a consortium CA already exists in " + dir + " (refusing to overwrite "
            + e.getFile() + ")", e);
      } catch (IOException | GeneralSecurityException e) {
        throw new UserException("cannot create the CA in " + dir + ": " + e.getMessage(), e);
      }
    }
  }

  @Command(name = "issue", mixinStandardHelpOptions = true,
      description = {"Issue a TLS certificate and keys for a site or the coordinator.",
          "Writes DIR/sites/NAME/ (or DIR/coordinator/): cert.pem (certificate then CA), tls.key "
              + "(ECDSA P-256), signing.key (Ed25519, certified in the certificate), ca.crt. "
              + "Key files are owner-only."})
  static final class Issue implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "CA directory.") Path dir;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Who who;

    static final class Who {
      @Option(names = "--site", description = "Site id to certify.") String site;
      @Option(names = "--coordinator", description = "Certify the coordinator.") boolean coordinator;
    }

    @Option(names = "--host", split = ",",
        description = "With --coordinator: DNS names or IP addresses sites connect to "
            + "(localhost and 127.0.0.1 are always included).")
    List<String> hosts = List.of();

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      if (who.site != null && !hosts.isEmpty()) {
        throw new UserException("--host applies to --coordinator only");
      }
      String what = who.coordinator ? "the coordinator" : "site '" + who.site + "'";
      try {
        ConsortiumCa ca = open(dir);
        Path out = who.coordinator ? ca.issueCoordinator(hosts) : ca.issueSite(who.site);
        PrintWriter w = spec.commandLine().getOut();
        w.println("issued credentials for " + what + " in " + out);
        w.println("  cert.pem  certificate (names '" + (who.coordinator ? ConsortiumCa.COORDINATOR_ID
            : who.site) + "', certifies the Ed25519 signing key) and the CA certificate");
        w.println("  tls.key  signing.key  private keys, rw-------");
        w.println("  ca.crt  the consortium CA");
        return 0;
      } catch (IllegalArgumentException e) {
        throw new UserException(e.getMessage(), e);
      } catch (FileAlreadyExistsException e) {
        throw new UserException("credentials for " + what + " already exist in " + e.getFile()
            + " (refusing to overwrite)", e);
      } catch (IOException | GeneralSecurityException e) {
        throw new UserException("cannot issue credentials for " + what + ": " + e.getMessage(), e);
      }
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = {"Revoke a member's certificate and publish a new certificate revocation list.",
          "Records the revocation in DIR/revoked.txt and writes DIR/crl.pem, an X.509 CRL signed by "
              + "the CA. Give crl.pem to the coordinator (key 'revocations' of its config) and restart "
              + "it: the revoked site is then refused at the TLS handshake."})
  static final class Revoke implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "CA directory.") Path dir;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
      @Option(names = "--site", description = "Revoke every certificate issued to this site id.") String site;
      @Option(names = "--serial", description = "Revoke the certificate with this serial number (hex, as "
          + "'openssl x509 -serial' prints it).") String serial;
    }

    @Option(names = "--reason", defaultValue = "unspecified",
        description = "RFC 5280 reason: unspecified, key-compromise, affiliation-changed, superseded, "
            + "cessation-of-operation, privilege-withdrawn (default: ${DEFAULT-VALUE}).")
    String reason;

    @Option(names = "--crl-days", defaultValue = "30",
        description = "Days until the list's next update; re-sign it before then with 'fedtel ca crl' "
            + "(default: ${DEFAULT-VALUE}).")
    int days;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      CRLReason why = reason(reason);
      Duration validity = crlValidity(days, "--crl-days");
      BigInteger serial = which.serial == null ? null : serial(which.serial);
      try {
        ConsortiumCa ca = open(dir);
        List<ConsortiumCa.Revocation> done = serial == null ? ca.revokeMember(which.site, why)
            : List.of(ca.revokeSerial(serial, why));
        PrintWriter w = spec.commandLine().getOut();
        for (ConsortiumCa.Revocation r : done) {
          w.println("revoked certificate " + r.serial().toString(16) + " of '" + r.memberId() + "' ("
              + reasonName(r.reason()) + ") at " + r.revokedAt());
        }
        report(w, ca, validity);
        return 0;
      } catch (IllegalArgumentException e) {
        throw new UserException(e.getMessage(), e);
      } catch (IOException | GeneralSecurityException e) {
        throw new UserException("cannot revoke: " + e.getMessage(), e);
      }
    }
  }

  @Command(name = "crl", mixinStandardHelpOptions = true,
      description = {"Re-sign the certificate revocation list with a new next-update time.",
          "Writes DIR/crl.pem with every revocation recorded so far (none is fine). A coordinator "
              + "refuses every site once its list has expired."})
  static final class Crl implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "CA directory.") Path dir;

    @Option(names = "--days", defaultValue = "30",
        description = "Days until the list's next update (default: ${DEFAULT-VALUE}).")
    int days;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      Duration validity = crlValidity(days, "--days");
      try {
        ConsortiumCa ca = open(dir);
        report(spec.commandLine().getOut(), ca, validity);
        return 0;
      } catch (IOException | GeneralSecurityException e) {
        throw new UserException("cannot write the revocation list: " + e.getMessage(), e);
      }
    }
  }

  /** The CA in {@code dir}; a missing one is the user's error, with the command that creates it. */
  private static ConsortiumCa open(Path dir) throws IOException, GeneralSecurityException {
    try {
      return ConsortiumCa.open(dir, Clock.systemUTC(), new SecureRandom());
    } catch (NoSuchFileException e) {
      throw new UserException("no consortium CA in " + dir + " (run 'fedtel ca init --dir " + dir + "' first)", e);
    }
  }

  private static void report(PrintWriter w, ConsortiumCa ca, Duration validity)
      throws IOException, GeneralSecurityException {
    Path file = ca.writeRevocationList(validity);
    RevocationList list = RevocationList.load(file, ConsortiumTrust.of(ca.certificate(), Clock.systemUTC()));
    w.println("wrote " + file + ": revocation list number " + list.number() + ", "
        + list.revoked().size() + " revoked, next update " + list.nextUpdate());
    w.println("  coordinator config: revocations = \"" + file + "\" (restart the coordinator to apply)");
  }

  static CRLReason reason(String name) {
    for (CRLReason r : ConsortiumCa.REVOCATION_REASONS) {
      if (reasonName(r).equals(name)) {
        return r;
      }
    }
    throw new UserException("--reason '" + name + "' is not one of unspecified, key-compromise, "
        + "affiliation-changed, superseded, cessation-of-operation, privilege-withdrawn");
  }

  static String reasonName(CRLReason r) {
    return r.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static Duration crlValidity(int days, String option) {
    if (days < 1 || days > 3650) {
      throw new UserException(option + " must be between 1 and 3650 days, got " + days);
    }
    return Duration.ofDays(days);
  }

  private static BigInteger serial(String text) {
    String hex = text.strip().replace(":", "");
    if (hex.startsWith("0x") || hex.startsWith("0X")) {
      hex = hex.substring(2);
    }
    if (!hex.matches("[0-9A-Fa-f]{1,64}")) {
      throw new UserException("--serial '" + text + "' is not a hexadecimal serial number");
    }
    return new BigInteger(hex, 16);
  }

  static String fingerprint(X509Certificate cert) {
    try {
      return HexFormat.ofDelimiter(":").formatHex(
          MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
