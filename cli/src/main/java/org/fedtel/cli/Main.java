package org.fedtel.cli;

import picocli.CommandLine;

/** Entry point of the {@code fedtel} command. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command and returns its exit code (for tests: never calls {@code System.exit}). */
  public static int run(String... args) {
    return FedtelCommand.newCommandLine().execute(args);
  }
}
