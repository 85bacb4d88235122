package org.fedtel.cli;

/**
 * A failure the user can act on: bad input, a failed verification, a missing file. The command
 * prints its message as one line on stderr and exits with {@link #exitCode()}.
 */
public class UserException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  public UserException(String message) {
    this(message, null);
  }

  public UserException(String message, Throwable cause) {
    this(message, cause, FedtelCommand.EXIT_USER_ERROR);
  }

  public UserException(String message, Throwable cause, int exitCode) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
