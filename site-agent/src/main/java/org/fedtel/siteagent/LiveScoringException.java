package org.fedtel.siteagent;

/**
 * Live telemetry cannot be scored as it is: a malformed or foreign file, a file that shrank or was
 * rewritten under the cursor, a damaged cursor or detections file. The message names the file.
 */
public final class LiveScoringException extends Exception {
  private static final long serialVersionUID = 1L;

  public LiveScoringException(String message) {
    super(message);
  }

  public LiveScoringException(String message, Throwable cause) {
    super(message, cause);
  }
}
