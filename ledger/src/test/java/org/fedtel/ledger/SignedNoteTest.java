package org.fedtel.ledger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** VECTORS.md "Signed note (C2SP / Go sumdb note, Ed25519)". */
class SignedNoteTest {
  static final String VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  static final String SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  static final String TEXT = "If you think cryptography is the answer to your problem,\n"
      + "then you don't know what your problem is.\n";
  static final String SIGNED = TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

  @Test
  void signingReproducesTheVectorByteForByte() throws NoteException {
    NoteSigner signer = NoteSigner.fromSignerKey(SKEY);
    assertEquals(VKEY, signer.verifierKey());
    SignedNote note = SignedNote.sign(TEXT, signer);
    assertArrayEquals(SIGNED.getBytes(StandardCharsets.UTF_8), note.toBytes());
  }

  @Test
  void parsingAndVerifyingTheVector() throws NoteException {
    SignedNote note = SignedNote.parse(SIGNED.getBytes(StandardCharsets.UTF_8));
    assertEquals(TEXT, note.text());
    NoteSignature sig = note.verify(NoteVerifier.fromVerifierKey(VKEY));
    assertEquals(0xc74f20a3, sig.keyHash());
    assertEquals(SIGNED, note.encode());
  }

  @Test
  void everyBitFlipOfTheSignatureOrTextIsRejected() throws NoteException {
    NoteVerifier v = NoteVerifier.fromVerifierKey(VKEY);
    SignedNote note = SignedNote.parse(SIGNED.getBytes(StandardCharsets.UTF_8));
    byte[] sig = note.signatures().get(0).bytes();
    for (int bit = 0; bit < sig.length * 8; bit++) {
      byte[] s = sig.clone();
      s[bit / 8] ^= (byte) (1 << (bit % 8));
      SignedNote bad = new SignedNote(TEXT, List.of(new NoteSignature("PeterNeumann", s)));
      assertThrows(NoteException.class, () -> bad.verify(v), "bit " + bit);
    }
    SignedNote altered = new SignedNote(TEXT.replace("cryptography", "cryptographz"), note.signatures());
    assertThrows(NoteException.class, () -> altered.verify(v));
    SignedNote renamed = new SignedNote(TEXT, List.of(new NoteSignature("PeterNeumanm", sig)));
    assertThrows(NoteException.class, () -> renamed.verify(v), "no signature by that name");
  }

  @Test
  void malformedNotesAndKeysAreRejected() {
    for (String bad : List.of(TEXT, TEXT + "\n", TEXT + "\n\u2014 PeterNeumann\n", TEXT + "\n- PeterNeumann AAAAAA==\n",
        TEXT + "\n\u2014 PeterNeumann !!!\n", TEXT + "\n\u2014 PeterNeumann x08go/ZJ", "no newline",
        "a\u0001b\n\n\u2014 x AAAAAAA=\n")) {
      assertThrows(NoteException.class, () -> SignedNote.parse(bad.getBytes(StandardCharsets.UTF_8)), bad);
    }
    assertThrows(NoteException.class, () -> SignedNote.parse(new byte[] {(byte) 0xff, '\n', '\n'}));
    assertThrows(NoteException.class, () -> NoteVerifier.fromVerifierKey(VKEY.replace("c74f20a3", "c74f20a4")));
    assertThrows(NoteException.class, () -> NoteVerifier.fromVerifierKey("PeterNeumann+c74f20a3"));
    assertThrows(NoteException.class, () -> NoteSigner.fromSignerKey(SKEY.replace("AYEK", "AoEK")));
  }

  @Test
  void checkpointBodyVector() throws NoteException {
    Checkpoint c = new Checkpoint("Log", 123, "bananas".getBytes(StandardCharsets.US_ASCII));
    assertEquals("Log\n123\nYmFuYW5hcw==\n", c.body());
    assertEquals(c, Checkpoint.parse("Log\n123\nYmFuYW5hcw==\n"));
    for (String bad : List.of("Log\n0123\nYmFuYW5hcw==\n", "Log\n-1\nYmFuYW5hcw==\n", "\n123\nYmFuYW5hcw==\n",
        "Log\n123\nYmFuYW5hcw\n", "Log\n123\n", "Log\n123\nYmFuYW5hcw==", "Log\n123\nYmFuYW5hcw==\n\n")) {
      assertThrows(NoteException.class, () -> Checkpoint.parse(bad), bad);
    }
  }
  @Test
  void aSignatureNotInCanonicalPaddedBase64IsRejected() throws NoteException {
    // The lenient decoder took the vector's signature without its '=' (and with other non-zero
    // trailing bits), so one signature had several lines; roots are held to canonical base64 the
    // same way (Checkpoint.parse).
    String b64 = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
    NoteSignature.parseLine("\u2014 PeterNeumann " + b64 + "\n");
    for (String bad : List.of(b64.replace("=", ""), b64.replace("nAM=", "nAN="), b64 + "=")) {
      NoteException e = assertThrows(NoteException.class,
          () -> NoteSignature.parseLine("\u2014 PeterNeumann " + bad + "\n"), bad);
      assertTrue(e.getMessage().contains("canonical"), e.getMessage());
      assertThrows(NoteException.class, () -> SignedNote.parse((TEXT + "\n\u2014 PeterNeumann " + bad + "\n")
          .getBytes(StandardCharsets.UTF_8)), bad);
    }
  }
}
