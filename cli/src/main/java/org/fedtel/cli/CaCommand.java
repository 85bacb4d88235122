package org.fedtel.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedtel.crypto.ConsortiumCa;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "ca", mixinStandardHelpOptions = true,
    description = "The consortium certificate authority and site credentials.",
    subcommands = {CaCommand.Init.class, CaCommand.Issue.class})
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
        ConsortiumCa ca = ConsortiumCa.open(dir, Clock.systemUTC(), new SecureRandom());
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
      } catch (NoSuchFileException e) {
        throw new UserException("no consortium CA in " + dir + " (run 'fedtel ca init --dir " + dir
            + "' first)", e);
      } catch (FileAlreadyExistsException e) {
        throw new UserException("credentials for " + what + " already exist in " + e.getFile()
            + " (refusing to overwrite)", e);
      } catch (IOException | GeneralSecurityException e) {
        throw new UserException("cannot issue credentials for " + what + ": " + e.getMessage(), e);
      }
    }
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
