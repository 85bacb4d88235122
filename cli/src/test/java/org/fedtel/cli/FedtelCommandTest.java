package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class FedtelCommandTest {
  record Result(int exit, String out, String err) {}

  static Result run(String... args) {
    CommandLine cl = FedtelCommand.newCommandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  @Test
  void helpListsEverySubcommandOfTheDesign() {
    Result r = run("--help");
    assertEquals(0, r.exit());
    for (String sub : List.of("demo", "simulate", "data", "ca", "coordinator", "site", "detect", "eval", "privacy", "ledger")) {
      assertTrue(r.out().contains("  " + sub + " "), () -> sub + " missing from:\n" + r.out());
    }
  }

  @Test
  void everySubcommandHasHelp() {
    String[][] commands = {
      {"demo"}, {"simulate"}, {"data", "generate"}, {"ca", "init"}, {"ca", "issue"}, {"coordinator"}, {"site"},
      {"detect"}, {"eval"}, {"privacy", "epsilon"}, {"privacy", "noise-multiplier"},
      {"ledger", "verify"}, {"ledger", "show"}, {"ledger", "budget"}, {"ledger", "prove"}, {"ledger", "consistency"},
      {"ledger", "serve"}
    };
    for (String[] c : commands) {
      String[] args = java.util.Arrays.copyOf(c, c.length + 1);
      args[c.length] = "--help";
      Result r = run(args);
      assertEquals(0, r.exit(), () -> String.join(" ", c) + ": " + r.err());
      assertTrue(r.out().startsWith("Usage: fedtel " + String.join(" ", c)), () -> r.out());
    }
  }

  @Test
  void versionPrintsTheVersion() {
    Result r = run("--version");
    assertEquals(0, r.exit());
    assertTrue(r.out().startsWith("fedtel "), r.out());
  }

  @Test
  void badOptionIsOneClearLineAndNonZero() {
    Result r = run("privacy", "epsilon", "--sampling-rate", "abc");
    assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit());
    String first = r.err().lines().findFirst().orElse("");
    assertTrue(first.startsWith("fedtel: "), r.err());
    assertTrue(first.contains("abc"), r.err());
  }

  @Test
  void unknownSubcommandIsAUserError() {
    Result r = run("frobnicate");
    assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit());
    assertTrue(r.err().startsWith("fedtel: "), r.err());
  }

  @Test
  void noSubcommandIsAUserError() {
    Result r = run();
    assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit());
    assertTrue(r.err().contains("subcommand is required"), r.err());
  }

  @Test
  void verboseAndQuietConflict() {
    Result r = run("--verbose", "--quiet", "demo");
    assertEquals(FedtelCommand.EXIT_USER_ERROR, r.exit());
    assertTrue(r.err().contains("cannot be used together"), r.err());
  }
}
