package org.fedtel.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/** The root of the command tree (DESIGN.md section 5). */
@Command(
    name = "fedtel",
    mixinStandardHelpOptions = true,
    versionProvider = FedtelCommand.Version.class,
    usageHelpAutoWidth = true,
    description = {
      "Privacy-preserving federated learning for computer-system telemetry. Sites train anomaly "
          + "detectors together with differential privacy and secure aggregation; every use of every "
          + "site's data is recorded in a verifiable Merkle ledger."
    },
    subcommands = {
      DemoCommand.class,
      SimulateCommand.class,
      DataCommand.class,
      CaCommand.class,
      CoordinatorCommand.class,
      SiteCommand.class,
      DetectCommand.class,
      EvalCommand.class,
      PrivacyCommand.class,
      LedgerCommand.class,
      CommandLine.HelpCommand.class
    })
public final class FedtelCommand implements Runnable {
  /** Exit code for bad input or a failed check the user can act on. */
  public static final int EXIT_USER_ERROR = 2;
  /** Exit code for an unexpected failure (a bug). */
  public static final int EXIT_INTERNAL_ERROR = 1;

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
      description = "Log debug detail, and print stack traces with errors.")
  boolean verbose;

  @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
      description = "Print only warnings, errors and results; no progress.")
  boolean quiet;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a subcommand is required (see 'fedtel --help')");
  }

  static CommandLine newCommandLine() {
    FedtelCommand root = new FedtelCommand();
    CommandLine cl = new CommandLine(root);
    cl.setExecutionStrategy(parseResult -> {
      configureOutput(root);
      return new CommandLine.RunLast().execute(parseResult);
    });
    cl.setParameterExceptionHandler(FedtelCommand::onParameterError);
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> onExecutionError(root, ex, commandLine));
    return cl;
  }

  private static void configureOutput(FedtelCommand root) {
    if (root.verbose && root.quiet) {
      throw new ParameterException(root.spec.commandLine(), "--verbose and --quiet cannot be used together");
    }
    Level level = root.verbose ? Level.DEBUG : root.quiet ? Level.WARN : Level.INFO;
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger("org.fedtel").setLevel(level);
      if (root.verbose) {
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
      }
    }
    Progress.setEnabled(!root.quiet);
  }

  private static int onParameterError(ParameterException ex, String[] args) {
    CommandLine cl = ex.getCommandLine();
    PrintWriter err = cl.getErr();
    err.println("fedtel: " + ex.getMessage());
    err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for usage.");
    return EXIT_USER_ERROR;
  }

  private static int onExecutionError(FedtelCommand root, Exception ex, CommandLine cl) {
    PrintWriter err = cl.getErr();
    if (ex instanceof UserException user) {
      err.println("fedtel: " + user.getMessage());
      if (root.verbose && user.getCause() != null) {
        user.getCause().printStackTrace(err);
      }
      return user.exitCode();
    }
    err.println("fedtel: internal error: " + ex + (root.verbose ? "" : " (run with --verbose for the stack trace)"));
    if (root.verbose) {
      ex.printStackTrace(err);
    }
    return EXIT_INTERNAL_ERROR;
  }

  /** Reads the version that Maven filtered into the jar's resources. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = FedtelCommand.class.getResourceAsStream("/fedtel-version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {
        "fedtel " + p.getProperty("version", "unknown"),
        "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
      };
    }
  }
}
