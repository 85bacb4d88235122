package org.fedtel.telemetry.detect;

/** A model file that cannot be read: wrong magic, unsupported version, bad or truncated content. */
public final class ModelFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
