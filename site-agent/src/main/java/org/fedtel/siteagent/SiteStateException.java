package org.fedtel.siteagent;

import java.nio.file.Path;

/**
 * A site's state directory cannot be used as it is: a corrupt or foreign file, a recorded spend
 * that no longer fits the declared budget, a checkpoint that does not verify. The message names
 * the file (and the byte offset when there is one); nothing is reset to make the error go away.
 */
public final class SiteStateException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient Path file;
  private final long offset;

  public SiteStateException(Path file, long offset, String message) {
    super(file + (offset >= 0 ? " at offset " + offset : "") + ": " + message);
    this.file = file;
    this.offset = offset;
  }

  public SiteStateException(Path file, String message, Throwable cause) {
    super(file + ": " + message, cause);
    this.file = file;
    this.offset = -1;
  }

  /** The file at fault. */
  public Path file() {
    return file;
  }

  /** Byte offset of the damage in {@link #file()}, or -1 when the problem is not at a position. */
  public long offset() {
    return offset;
  }
}
