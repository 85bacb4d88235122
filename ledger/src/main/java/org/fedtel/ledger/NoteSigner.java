package org.fedtel.ledger;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.fedtel.crypto.SigningKey;

/**
 * Signs notes under a key name (C2SP signed-note, Ed25519). Holds the signing key and never hands
 * it out; {@link #verifierKey()} is the public half in the text form that verifiers are given.
 */
public final class NoteSigner {
  private final String name;
  private final SigningKey key;
  private final int keyHash;

  private NoteSigner(String name, SigningKey key) {
    if (!NoteKeys.validName(name)) {
      throw new IllegalArgumentException("invalid note key name '" + name + "'");
    }
    this.name = name;
    this.key = key;
    this.keyHash = NoteKeys.keyHash(name, key.verifyingKey().toBytes());
  }

  public static NoteSigner of(String name, SigningKey key) {
    return new NoteSigner(name, key);
  }

  /** Parses a signer key {@code PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>}. */
  public static NoteSigner fromSignerKey(String signerKey) throws NoteException {
    String[] parts = signerKey.split("\\+", 5);
    if (parts.length != 5 || !parts[0].equals("PRIVATE") || !parts[1].equals("KEY")) {
      throw new NoteException("signer key must look like PRIVATE+KEY+name+hash+key");
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(parts[4]);
    } catch (IllegalArgumentException e) {
      throw new NoteException("signer key: key is not base64");
    }
    if (raw.length != 1 + SigningKey.SEED_LENGTH || raw[0] != NoteKeys.ALG_ED25519) {
      throw new NoteException("signer key: expected algorithm 0x01 and a 32-byte Ed25519 seed");
    }
    if (!NoteKeys.validName(parts[2])) {
      throw new NoteException("signer key: invalid key name '" + parts[2] + "'");
    }
    NoteSigner s = new NoteSigner(parts[2], SigningKey.fromSeed(Arrays.copyOfRange(raw, 1, raw.length)));
    Arrays.fill(raw, (byte) 0);
    if (!NoteKeys.hex8(s.keyHash).equals(parts[3])) {
      throw new NoteException("signer key: key hash " + parts[3] + " does not match the key ("
          + NoteKeys.hex8(s.keyHash) + ")");
    }
    return s;
  }

  public String name() {
    return name;
  }

  /** The verifier key {@code <name>+<hash>+<base64(0x01 ‖ public key)>}. */
  public String verifierKey() {
    byte[] pub = key.verifyingKey().toBytes();
    byte[] raw = new byte[1 + pub.length];
    raw[0] = NoteKeys.ALG_ED25519;
    System.arraycopy(pub, 0, raw, 1, pub.length);
    return name + "+" + NoteKeys.hex8(keyHash) + "+" + Base64.getEncoder().encodeToString(raw);
  }

  public NoteVerifier verifier() {
    return NoteVerifier.of(name, key.verifyingKey());
  }

  /** The signature of {@code text} (a complete note text ending in a newline). */
  public NoteSignature sign(String text) {
    SignedNote.checkText(text);
    byte[] sig = key.sign(text.getBytes(StandardCharsets.UTF_8));
    return new NoteSignature(name, ByteBuffer.allocate(4 + sig.length).putInt(keyHash).put(sig).array());
  }

  @Override
  public String toString() {
    return "NoteSigner[" + name + "]";
  }
}
