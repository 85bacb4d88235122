package org.fedtel.ledger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Key names and key hashes of the signed-note format (C2SP signed-note, Ed25519 algorithm 0x01). */
final class NoteKeys {
  static final byte ALG_ED25519 = 0x01;

  private NoteKeys() {}

  /** First four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), big-endian. */
  static int keyHash(String name, byte[] publicKey) {
    MessageDigest md = MerkleTree.newSha256();
    md.update(name.getBytes(StandardCharsets.UTF_8));
    md.update((byte) '\n');
    md.update(ALG_ED25519);
    md.update(publicKey);
    byte[] h = md.digest();
    return ((h[0] & 0xff) << 24) | ((h[1] & 0xff) << 16) | ((h[2] & 0xff) << 8) | (h[3] & 0xff);
  }

  /** A key name is non-empty and has no '+', whitespace or control characters. */
  static boolean validName(String name) {
    if (name == null || name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); ) {
      int c = name.codePointAt(i);
      if (c == '+' || Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
        return false;
      }
      i += Character.charCount(c);
    }
    return true;
  }

  static String hex8(int keyHash) {
    return String.format("%08x", keyHash);
  }
}
