package org.fedtel.ledger;

import java.util.Base64;

/**
 * One signature line of a signed note: the key name and the bytes key hash (4, big-endian) ‖
 * signature. {@link #line()} is {@code "— <name> <base64>\n"}.
 */
public record NoteSignature(String name, byte[] bytes) {
  public NoteSignature {
    if (!NoteKeys.validName(name)) {
      throw new IllegalArgumentException("invalid note key name '" + name + "'");
    }
    if (bytes == null || bytes.length < 5) {
      throw new IllegalArgumentException("a note signature has a 4-byte key hash and a signature");
    }
    bytes = bytes.clone();
  }

  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  public int keyHash() {
    return ((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) | ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff);
  }

  public String line() {
    return "\u2014 " + name + " " + Base64.getEncoder().encodeToString(bytes) + "\n";
  }

  /** Parses one line {@code "— <name> <base64>"}, with or without its final newline. */
  public static NoteSignature parseLine(String line) throws NoteException {
    if (line.endsWith("\n")) {
      line = line.substring(0, line.length() - 1);
    }
    if (!line.startsWith("\u2014 ")) {
      throw new NoteException("signature line must start with an em dash and a space");
    }
    String rest = line.substring(2);
    int sp = rest.indexOf(' ');
    if (sp <= 0 || rest.indexOf(' ', sp + 1) >= 0) {
      throw new NoteException("signature line must be '— name signature'");
    }
    String name = rest.substring(0, sp);
    if (!NoteKeys.validName(name)) {
      throw new NoteException("signature line has an invalid key name '" + name + "'");
    }
    String b64 = rest.substring(sp + 1);
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new NoteException("signature by " + name + " is not canonical (padded) base64");
    }
    // The decoder also takes a missing '=' and non-zero trailing bits; refusing those keeps one
    // signature to one line (as Checkpoint.parse does for the root).
    if (!Base64.getEncoder().encodeToString(raw).equals(b64)) {
      throw new NoteException("signature by " + name + " is not canonical (padded) base64");
    }
    if (raw.length < 5) {
      throw new NoteException("signature by " + name + " is too short");
    }
    return new NoteSignature(name, raw);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NoteSignature s && s.name.equals(name) && java.util.Arrays.equals(s.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + java.util.Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return line().strip();
  }
}
