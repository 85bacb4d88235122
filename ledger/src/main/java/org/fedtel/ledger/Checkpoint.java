package org.fedtel.ledger;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The body of a transparency-log checkpoint (C2SP tlog-checkpoint): origin line, decimal tree size,
 * base64 root hash, then optional extension lines, each ending in a newline. It is signed as a
 * {@link SignedNote}.
 */
public record Checkpoint(String origin, long size, byte[] root, List<String> extensions) {
  public Checkpoint {
    if (origin == null || origin.isEmpty() || origin.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("checkpoint origin must be one non-empty line");
    }
    if (size < 0) {
      throw new IllegalArgumentException("checkpoint size must be >= 0, was " + size);
    }
    if (root == null || root.length == 0) {
      throw new IllegalArgumentException("checkpoint root is missing");
    }
    root = root.clone();
    extensions = List.copyOf(extensions);
    for (String e : extensions) {
      if (e.isEmpty() || e.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("checkpoint extension lines must be non-empty single lines");
      }
    }
  }

  public Checkpoint(String origin, long size, byte[] root) {
    this(origin, size, root, List.of());
  }

  @Override
  public byte[] root() {
    return root.clone();
  }

  /** The note text that is signed. */
  public String body() {
    StringBuilder sb = new StringBuilder();
    sb.append(origin).append('\n').append(size).append('\n')
        .append(Base64.getEncoder().encodeToString(root)).append('\n');
    for (String e : extensions) {
      sb.append(e).append('\n');
    }
    return sb.toString();
  }

  /** Parses a checkpoint body (the text of a signed note). */
  public static Checkpoint parse(String text) throws NoteException {
    if (!text.endsWith("\n")) {
      throw new NoteException("checkpoint does not end in a newline");
    }
    String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
    if (lines.length < 3) {
      throw new NoteException("checkpoint needs origin, size and root lines, has " + lines.length + " lines");
    }
    if (lines[0].isEmpty()) {
      throw new NoteException("checkpoint origin is empty");
    }
    String sz = lines[1];
    if (sz.isEmpty() || sz.length() > 19 || !sz.chars().allMatch(c -> c >= '0' && c <= '9')
        || (sz.length() > 1 && sz.charAt(0) == '0')) {
      throw new NoteException("checkpoint size '" + sz + "' is not a canonical decimal number");
    }
    long size;
    try {
      size = Long.parseLong(sz);
    } catch (NumberFormatException e) {
      throw new NoteException("checkpoint size '" + sz + "' is out of range");
    }
    byte[] root;
    try {
      root = Base64.getDecoder().decode(lines[2]);
    } catch (IllegalArgumentException e) {
      throw new NoteException("checkpoint root is not base64");
    }
    if (root.length == 0 || !Base64.getEncoder().encodeToString(root).equals(lines[2])) {
      throw new NoteException("checkpoint root is not canonical base64");
    }
    List<String> ext = new ArrayList<>(Arrays.asList(lines).subList(3, lines.length));
    for (String e : ext) {
      if (e.isEmpty()) {
        throw new NoteException("checkpoint has an empty extension line");
      }
    }
    return new Checkpoint(lines[0], size, root, ext);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Checkpoint c && c.origin.equals(origin) && c.size == size && Arrays.equals(c.root, root)
        && c.extensions.equals(extensions);
  }

  @Override
  public int hashCode() {
    return origin.hashCode() * 31 + Long.hashCode(size) * 17 + Arrays.hashCode(root);
  }

  @Override
  public String toString() {
    return "Checkpoint[" + origin + ", " + size + ", " + Base64.getEncoder().encodeToString(root) + "]";
  }
}
