package org.fedtel.ledger;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A signed note (C2SP signed-note; the Go {@code golang.org/x/mod/sumdb/note} format): UTF-8 text
 * ending in a newline, a blank line, then one or more lines {@code "— <key name> <base64(key hash ‖
 * signature)>"}. Text must not contain control characters other than newline, nor a blank line, so
 * that the signature block is found without ambiguity.
 */
public record SignedNote(String text, List<NoteSignature> signatures) {
  static final int MAX_NOTE_BYTES = 1 << 20;
  static final int MAX_SIGNATURES = 100;

  public SignedNote {
    checkText(text);
    signatures = List.copyOf(signatures);
    if (signatures.isEmpty() || signatures.size() > MAX_SIGNATURES) {
      throw new IllegalArgumentException("a signed note has 1.." + MAX_SIGNATURES + " signatures, got "
          + signatures.size());
    }
  }

  /** Signs {@code text} with each signer in order. */
  public static SignedNote sign(String text, NoteSigner... signers) {
    List<NoteSignature> sigs = new ArrayList<>();
    for (NoteSigner s : signers) {
      sigs.add(s.sign(text));
    }
    return new SignedNote(text, sigs);
  }

  /** The note as transmitted: text, blank line, signature lines. */
  public String encode() {
    StringBuilder sb = new StringBuilder(text).append('\n');
    for (NoteSignature s : signatures) {
      sb.append(s.line());
    }
    return sb.toString();
  }

  public byte[] toBytes() {
    return encode().getBytes(StandardCharsets.UTF_8);
  }

  /** Parses an encoded note; the signatures are not verified here. */
  public static SignedNote parse(byte[] encoded) throws NoteException {
    if (encoded.length > MAX_NOTE_BYTES) {
      throw new NoteException("note is " + encoded.length + " bytes, more than " + MAX_NOTE_BYTES);
    }
    String s;
    try {
      s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(encoded)).toString();
    } catch (CharacterCodingException e) {
      throw new NoteException("note is not valid UTF-8");
    }
    int split = s.lastIndexOf("\n\n");
    if (split < 0) {
      throw new NoteException("note has no blank line before its signatures");
    }
    String text = s.substring(0, split + 1);
    String block = s.substring(split + 2);
    String problem = textProblem(text);
    if (problem != null) {
      throw new NoteException("note text " + problem);
    }
    if (block.isEmpty() || !block.endsWith("\n")) {
      throw new NoteException("note signature block is empty or does not end in a newline");
    }
    List<NoteSignature> sigs = new ArrayList<>();
    for (String line : block.substring(0, block.length() - 1).split("\n", -1)) {
      if (sigs.size() == MAX_SIGNATURES) {
        throw new NoteException("note has more than " + MAX_SIGNATURES + " signatures");
      }
      sigs.add(NoteSignature.parseLine(line));
    }
    return new SignedNote(text, sigs);
  }

  /**
   * Verifies the signature by {@code verifier}'s key. Throws if there is none, or if one claiming
   * to be by that key does not verify.
   */
  public NoteSignature verify(NoteVerifier verifier) throws NoteException {
    NoteSignature found = null;
    for (NoteSignature s : signatures) {
      if (verifier.matches(s)) {
        verifier.verify(text, s);
        found = s;
      }
    }
    if (found == null) {
      throw new NoteException("note has no signature by " + verifier.name());
    }
    return found;
  }

  /** This note with {@code sig} added (unchanged if an identical signature is present). */
  public SignedNote withSignature(NoteSignature sig) {
    if (signatures.contains(sig)) {
      return this;
    }
    List<NoteSignature> sigs = new ArrayList<>(signatures);
    sigs.add(sig);
    return new SignedNote(text, sigs);
  }

  static void checkText(String text) {
    String problem = textProblem(text);
    if (problem != null) {
      throw new IllegalArgumentException("note text " + problem);
    }
  }

  private static String textProblem(String text) {
    if (text == null || text.isEmpty() || !text.endsWith("\n")) {
      return "must be non-empty and end in a newline";
    }
    if (text.contains("\n\n") || text.startsWith("\n")) {
      return "must not contain a blank line";
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '\n' && (c < 0x20 || c == 0x7f)) {
        return "contains control character 0x" + Integer.toHexString(c) + " at " + i;
      }
    }
    return null;
  }
}
