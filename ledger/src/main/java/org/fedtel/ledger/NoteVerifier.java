package org.fedtel.ledger;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.SignatureException;
import java.util.Arrays;
import java.util.Base64;
import org.fedtel.crypto.VerifyingKey;

/** Verifies note signatures of one key name (C2SP signed-note, Ed25519). */
public final class NoteVerifier {
  private final String name;
  private final VerifyingKey key;
  private final int keyHash;

  private NoteVerifier(String name, VerifyingKey key) {
    if (!NoteKeys.validName(name)) {
      throw new IllegalArgumentException("invalid note key name '" + name + "'");
    }
    this.name = name;
    this.key = key;
    this.keyHash = NoteKeys.keyHash(name, key.toBytes());
  }

  public static NoteVerifier of(String name, VerifyingKey key) {
    return new NoteVerifier(name, key);
  }

  /** Parses a verifier key {@code <name>+<hash>+<base64(0x01 ‖ public key)>}. */
  public static NoteVerifier fromVerifierKey(String verifierKey) throws NoteException {
    String[] parts = verifierKey.split("\\+", 3);
    if (parts.length != 3) {
      throw new NoteException("verifier key must look like name+hash+key");
    }
    if (!NoteKeys.validName(parts[0])) {
      throw new NoteException("verifier key: invalid key name '" + parts[0] + "'");
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new NoteException("verifier key: key is not base64");
    }
    if (raw.length != 1 + VerifyingKey.LENGTH || raw[0] != NoteKeys.ALG_ED25519) {
      throw new NoteException("verifier key: expected algorithm 0x01 and a 32-byte Ed25519 key");
    }
    NoteVerifier v;
    try {
      v = new NoteVerifier(parts[0], VerifyingKey.fromBytes(Arrays.copyOfRange(raw, 1, raw.length)));
    } catch (InvalidKeyException e) {
      throw new NoteException("verifier key: " + e.getMessage(), e);
    }
    if (!NoteKeys.hex8(v.keyHash).equals(parts[1])) {
      throw new NoteException("verifier key: key hash " + parts[1] + " does not match the key ("
          + NoteKeys.hex8(v.keyHash) + ")");
    }
    return v;
  }

  public String name() {
    return name;
  }

  int keyHash() {
    return keyHash;
  }

  public VerifyingKey key() {
    return key;
  }

  /** Whether {@code sig} claims to be by this key (name and key hash match). */
  boolean matches(NoteSignature sig) {
    return sig.name().equals(name) && sig.keyHash() == keyHash;
  }

  /** Verifies {@code sig} over {@code text}; throws if it is not this key's or does not verify. */
  public void verify(String text, NoteSignature sig) throws NoteException {
    if (!matches(sig)) {
      throw new NoteException("signature by " + sig.name() + "+" + NoteKeys.hex8(sig.keyHash())
          + " is not by key " + name + "+" + NoteKeys.hex8(keyHash));
    }
    byte[] raw = sig.bytes();
    if (raw.length != 4 + 64) {
      throw new NoteException("signature by " + name + " has " + (raw.length - 4) + " bytes, Ed25519 needs 64");
    }
    try {
      key.verify(text.getBytes(StandardCharsets.UTF_8), Arrays.copyOfRange(raw, 4, raw.length));
    } catch (SignatureException e) {
      throw new NoteException("signature by " + name + " does not verify", e);
    }
  }

  @Override
  public String toString() {
    return "NoteVerifier[" + name + "+" + NoteKeys.hex8(keyHash) + "]";
  }
}
