package org.fedtel.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "ledger", mixinStandardHelpOptions = true, description = "Audit a ledger directory.",
    subcommands = {LedgerCommand.Verify.class, LedgerCommand.Show.class, LedgerCommand.Budget.class,
        LedgerCommand.Prove.class, LedgerCommand.Consistency.class})
final class LedgerCommand {
  abstract static class OnLedger implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Ledger directory.") Path dir;

    @Override
    public Integer call() {
      throw NotYetAvailable.because("fedtel ledger", "the ledger is issue #5");
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true, description = "Verify chain, Merkle roots, signatures and privacy spend.")
  static final class Verify extends OnLedger {}

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show entries.")
  static final class Show extends OnLedger {}

  @Command(name = "budget", mixinStandardHelpOptions = true, description = "Per-site epsilon spent and declared.")
  static final class Budget extends OnLedger {}

  @Command(name = "prove", mixinStandardHelpOptions = true, description = "Inclusion proof of an entry as JSON.")
  static final class Prove extends OnLedger {}

  @Command(name = "consistency", mixinStandardHelpOptions = true, description = "Consistency proof between two sizes.")
  static final class Consistency extends OnLedger {}
}
