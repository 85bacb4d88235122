package org.fedtel.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.security.SignatureException;
import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SigningKeyTest {
  private static final HexFormat HEX = HexFormat.of();

  /** RFC 8032 §7.1, TEST 1..3 (Ed25519). */
  @ParameterizedTest(name = "RFC 8032 test {index}")
  @CsvSource({
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60,"
        + "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a,'',"
        + "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb,"
        + "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c,72,"
        + "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7,"
        + "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025,af82,"
        + "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
  })
  void rfc8032Vectors(String seed, String pub, String msg, String sig) throws Exception {
    SigningKey key = SigningKey.fromSeed(HEX.parseHex(seed));
    byte[] message = HEX.parseHex(msg == null ? "" : msg);
    assertEquals(pub, HEX.formatHex(key.verifyingKey().toBytes()));
    assertEquals(sig, HEX.formatHex(key.sign(message)));
    VerifyingKey vk = VerifyingKey.fromBytes(HEX.parseHex(pub));
    vk.verify(message, HEX.parseHex(sig));
    assertEquals(key.verifyingKey(), vk);
    assertEquals(key.verifyingKey().hashCode(), vk.hashCode());
  }

  @Test
  void everySingleBitFlipOfTheSignatureIsRejected() {
    SigningKey key = SigningKey.generate(new SecureRandom(new byte[] {1}));
    byte[] message = "advertise".getBytes();
    byte[] sig = key.sign(message);
    for (int bit = 0; bit < sig.length * 8; bit++) {
      byte[] bad = sig.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThrows(SignatureException.class, () -> key.verifyingKey().verify(message, bad),
          "bit " + bit);
    }
    byte[] otherMessage = "advertisf".getBytes();
    assertThrows(SignatureException.class, () -> key.verifyingKey().verify(otherMessage, sig));
  }

  @Test
  void badLengthsAreTyped() throws Exception {
    assertThrows(InvalidKeyException.class, () -> VerifyingKey.fromBytes(new byte[31]));
    assertThrows(InvalidKeyException.class, () -> VerifyingKey.fromBytes(null));
    assertThrows(IllegalArgumentException.class, () -> SigningKey.fromSeed(new byte[33]));
    SigningKey key = SigningKey.fromSeed(new byte[32]);
    byte[] sig = key.sign(new byte[0]);
    byte[] longer = java.util.Arrays.copyOf(sig, 65);
    assertThrows(SignatureException.class, () -> key.verifyingKey().verify(new byte[0], longer));
    assertThrows(SignatureException.class, () -> key.verifyingKey().verify(new byte[0], null));
  }

  @Test
  void nonPointKeyIsRejected() {
    // y = 2 is not the y-coordinate of a point on edwards25519 (x^2 would be a non-square).
    byte[] raw = new byte[32];
    raw[0] = 2;
    assertThrows(InvalidKeyException.class, () -> VerifyingKey.fromBytes(raw));
  }

  @Test
  void signingIsDeterministicAndSeededGenerationIsReproducible() {
    SigningKey a = SigningKey.generate(seeded(7));
    SigningKey b = SigningKey.generate(seeded(7));
    SigningKey c = SigningKey.generate(seeded(8));
    assertEquals(a.verifyingKey(), b.verifyingKey());
    assertNotEquals(a.verifyingKey(), c.verifyingKey());
    assertArrayEquals(a.sign(new byte[] {1, 2}), b.sign(new byte[] {1, 2}));
  }

  private static SecureRandom seeded(long seed) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(seed);
      return r;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
