package org.fedtel.cli;

/** For subcommands whose capability a later issue builds: says so plainly and exits non-zero. */
final class NotYetAvailable {
  static final int EXIT_UNAVAILABLE = 3;

  private NotYetAvailable() {}

  static UserException because(String command, String what) {
    return new UserException(
        "'" + command + "' is not available yet in this build: " + what, null, EXIT_UNAVAILABLE);
  }
}
