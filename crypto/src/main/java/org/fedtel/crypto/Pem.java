package org.fedtel.crypto;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/** PEM files (RFC 7468): certificates and PKCS#8 private keys; key files are owner-only. */
final class Pem {
  static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private Pem() {}

  static String encode(String type, byte[] der) {
    StringWriter out = new StringWriter();
    try (PemWriter w = new PemWriter(out)) {
      w.writeObject(new PemObject(type, der));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }

  /** Writes a public file; refuses to replace an existing one. */
  static void writePublic(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
  }

  /** Creates {@code file} as rw------- before any secret byte is written; refuses to replace. */
  static void writeSecret(Path file, String text) throws IOException {
    if (Files.exists(file)) {
      throw new FileAlreadyExistsException(file.toString());
    }
    try {
      // Created owner-only, so no secret byte is ever readable by others.
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (UnsupportedOperationException notPosix) {
      // A file system without POSIX permissions: nothing more to restrict here.
      Files.createFile(file);
    }
    Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }

  static List<PemObject> read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    return read(new StringReader(text), file.toString());
  }

  static List<PemObject> read(Reader reader, String where) throws IOException {
    List<PemObject> out = new ArrayList<>();
    try (PemReader r = new PemReader(reader)) {
      PemObject o;
      while ((o = r.readPemObject()) != null) {
        out.add(o);
      }
    } catch (IOException | RuntimeException e) {
      throw new IOException(where + ": not valid PEM: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new IOException(where + ": no PEM object found");
    }
    return out;
  }

  static List<X509Certificate> certificates(Path file) throws IOException, CertificateException {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    for (PemObject o : read(file)) {
      if (!o.getType().equals("CERTIFICATE")) {
        throw new CertificateException(file + ": expected CERTIFICATE, found " + o.getType());
      }
      out.add((X509Certificate) cf.generateCertificate(
          new java.io.ByteArrayInputStream(o.getContent())));
    }
    return out;
  }

  static PrivateKey privateKey(Path file, String algorithm)
      throws IOException, GeneralSecurityException {
    byte[] der = single(file, "PRIVATE KEY");
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new GeneralSecurityException(file + ": not a PKCS#8 " + algorithm + " key", e);
    }
  }

  static byte[] single(Path file, String type) throws IOException {
    List<PemObject> objs = read(file);
    if (objs.size() != 1 || !objs.get(0).getType().equals(type)) {
      throw new IOException(file + ": expected exactly one " + type);
    }
    return objs.get(0).getContent();
  }

  /** PKCS#8 (RFC 8410 §7) encoding of an Ed25519 private key. */
  static byte[] ed25519Pkcs8(SigningKey key) {
    byte[] seed = key.seedCopy();
    try {
      return new PrivateKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519),
          new DEROctetString(seed)).getEncoded("DER");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } finally {
      java.util.Arrays.fill(seed, (byte) 0);
    }
  }

  static SigningKey ed25519FromPkcs8(byte[] der, String where) throws GeneralSecurityException {
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(der);
      if (!EdECObjectIdentifiers.id_Ed25519.equals(info.getPrivateKeyAlgorithm().getAlgorithm())) {
        throw new GeneralSecurityException(where + ": not an Ed25519 key");
      }
      byte[] seed = ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets();
      if (seed.length != SigningKey.SEED_LENGTH) {
        throw new GeneralSecurityException(where + ": Ed25519 key is not 32 bytes");
      }
      try {
        return SigningKey.fromSeed(seed);
      } finally {
        java.util.Arrays.fill(seed, (byte) 0);
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new GeneralSecurityException(where + ": malformed PKCS#8 Ed25519 key", e);
    }
  }
}
