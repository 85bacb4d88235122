package org.fedtel.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "ca", mixinStandardHelpOptions = true,
    description = "The consortium certificate authority and site credentials.",
    subcommands = {CaCommand.Init.class, CaCommand.Issue.class})
final class CaCommand {
  @Command(name = "init", mixinStandardHelpOptions = true, description = "Create the consortium CA (key and self-signed certificate).")
  static final class Init implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "CA directory.") Path dir;

    @Override
    public Integer call() {
      throw NotYetAvailable.because("fedtel ca init", "the consortium PKI is issue #3");
    }
  }

  @Command(name = "issue", mixinStandardHelpOptions = true, description = "Issue a certificate and key for a site or the coordinator.")
  static final class Issue implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "CA directory.") Path dir;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Who who;

    static final class Who {
      @Option(names = "--site", description = "Site id to certify.") String site;
      @Option(names = "--coordinator", description = "Certify the coordinator.") boolean coordinator;
    }

    @Override
    public Integer call() {
      throw NotYetAvailable.because("fedtel ca issue", "the consortium PKI is issue #3");
    }
  }
}
