package org.fedtel.telemetry.io;

import java.nio.file.Path;

/**
 * Malformed telemetry input. The message names the file, the 1-based line and, where it applies,
 * the 1-based column: {@code data.csv:12:3: value "abc" is not a number}.
 */
public final class TelemetryFormatException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String file;
  private final long line;
  private final int column;

  /** {@code column} 0 when the error concerns a whole line or the whole file. */
  public TelemetryFormatException(Path file, long line, int column, String message) {
    super(location(file, line, column) + message);
    this.file = file == null ? "<input>" : file.toString();
    this.line = line;
    this.column = column;
  }

  private static String location(Path file, long line, int column) {
    StringBuilder sb = new StringBuilder(file == null ? "<input>" : file.toString());
    if (line > 0) {
      sb.append(':').append(line);
      if (column > 0) {
        sb.append(':').append(column);
      }
    }
    return sb.append(": ").toString();
  }

  public String file() {
    return file;
  }

  /** 1-based line, 0 if not tied to a line. */
  public long line() {
    return line;
  }

  /** 1-based column, 0 if not tied to a column. */
  public int column() {
    return column;
  }
}
