package org.fedtel.crypto;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The consortium certificate authority (RFC 5280 profile). Keys are ECDSA P-256, which the JDK's
 * TLS 1.3 (and so Netty's JDK provider) supports for both server and client authentication.
 *
 * <p>Each member certificate names the member twice: CN = site id, and a SAN URI {@code
 * urn:fedtel:site:<id>} ({@code urn:fedtel:coordinator} for the coordinator), the one the code
 * trusts. It also certifies the member's Ed25519 signing key (for AdvertiseKeys, data-use records
 * and checkpoints) in a non-critical extension {@value #SIGNING_KEY_OID} holding the raw 32-byte
 * key, so one certificate — the TLS peer certificate — proves both identities.
 *
 * <p>Layout of a CA directory: {@code ca.crt}, {@code ca.key}; {@code sites/<id>/} and {@code
 * coordinator/} each with {@code cert.pem} (leaf then CA), {@code tls.key}, {@code signing.key},
 * {@code ca.crt}. Key files are created rw------- before anything is written to them; nothing is
 * ever overwritten.
 */
public final class ConsortiumCa {
  /** OID of the extension carrying the Ed25519 signing key (a UUID OID, ITU-T X.667). */
  public static final String SIGNING_KEY_OID = "2.25.179046224038482112879608920071761786933";
  /** The coordinator's id in certificates and envelopes. */
  public static final String COORDINATOR_ID = "coordinator";
  static final String SITE_URI_PREFIX = "urn:fedtel:site:";
  static final String COORDINATOR_URI = "urn:fedtel:coordinator";
  /** Site ids (the same rule as {@code SecAggParams.SITE_ID}). */
  static final Pattern SITE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  static final Duration MEMBER_VALIDITY = Duration.ofDays(825);
  static final String CA_CERT = "ca.crt";
  static final String CA_KEY = "ca.key";

  private final Path dir;
  private final X509Certificate certificate;
  private final PrivateKey key;
  private final Clock clock;
  private final SecureRandom random;

  private ConsortiumCa(Path dir, X509Certificate certificate, PrivateKey key, Clock clock,
      SecureRandom random) {
    this.dir = dir;
    this.certificate = certificate;
    this.key = key;
    this.clock = clock;
    this.random = random;
  }

  /** Creates a new CA in {@code dir} (created if absent); fails if a CA is already there. */
  public static ConsortiumCa create(Path dir, String name, Clock clock, SecureRandom random)
      throws IOException, GeneralSecurityException {
    Objects.requireNonNull(name, "name");
    Files.createDirectories(dir);
    if (Files.exists(dir.resolve(CA_KEY)) || Files.exists(dir.resolve(CA_CERT))) {
      throw new FileAlreadyExistsException(dir.resolve(CA_KEY).toString(), null,
          "a consortium CA already exists here");
    }
    KeyPair kp = ecKeyPair(random);
    Instant now = clock.instant();
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "fedtel consortium")
        .addRDN(BCStyle.CN, name).build();
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(random),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_VALIDITY)), subject,
        kp.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    b.addExtension(Extension.keyUsage, true,
        new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(Extension.subjectKeyIdentifier, false,
        ext.createSubjectKeyIdentifier(kp.getPublic()));
    X509Certificate cert = sign(b, kp.getPrivate(), random);
    Pem.writeSecret(dir.resolve(CA_KEY), Pem.encode("PRIVATE KEY", kp.getPrivate().getEncoded()));
    Pem.writePublic(dir.resolve(CA_CERT), Pem.encode("CERTIFICATE", cert.getEncoded()));
    return new ConsortiumCa(dir, cert, kp.getPrivate(), clock, random);
  }

  /** Opens the CA in {@code dir}. */
  public static ConsortiumCa open(Path dir, Clock clock, SecureRandom random)
      throws IOException, GeneralSecurityException {
    Path certFile = dir.resolve(CA_CERT);
    Path keyFile = dir.resolve(CA_KEY);
    if (!Files.exists(certFile) || !Files.exists(keyFile)) {
      throw new java.nio.file.NoSuchFileException(dir.toString(), null,
          "no consortium CA here (run 'fedtel ca init' first)");
    }
    List<X509Certificate> certs = Pem.certificates(certFile);
    if (certs.size() != 1) {
      throw new CertificateException(certFile + ": expected one certificate");
    }
    PrivateKey key = Pem.privateKey(keyFile, "EC");
    X509Certificate cert = certs.get(0);
    if (!SiteCredentials.matches(key, cert.getPublicKey())) {
      throw new GeneralSecurityException(keyFile + " does not belong to " + certFile);
    }
    return new ConsortiumCa(dir, cert, key, clock, random);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** Issues credentials for site {@code siteId} into {@code sites/<siteId>/}. */
  public Path issueSite(String siteId) throws IOException, GeneralSecurityException {
    if (siteId == null || !SITE_ID.matcher(siteId).matches()) {
      throw new IllegalArgumentException("'" + siteId + "' is not a valid site id (a letter or"
          + " digit, then up to 63 letters, digits, '.', '_' or '-')");
    }
    if (siteId.equals(COORDINATOR_ID)) {
      throw new IllegalArgumentException("'" + COORDINATOR_ID + "' is reserved for the coordinator");
    }
    return issue(dir.resolve("sites").resolve(siteId), siteId, SITE_URI_PREFIX + siteId,
        List.of());
  }

  /**
   * Issues the coordinator's credentials into {@code coordinator/}; {@code hosts} (DNS names or
   * IP addresses) go into the SAN so that sites can verify the host they connect to; "localhost"
   * and 127.0.0.1 are always included.
   */
  public Path issueCoordinator(List<String> hosts) throws IOException, GeneralSecurityException {
    List<String> all = new ArrayList<>(List.of("localhost", "127.0.0.1"));
    for (String h : hosts) {
      if (!all.contains(h)) {
        all.add(h);
      }
    }
    return issue(dir.resolve(COORDINATOR_ID), COORDINATOR_ID, COORDINATOR_URI, all);
  }

  private Path issue(Path out, String id, String uri, List<String> hosts)
      throws IOException, GeneralSecurityException {
    if (Files.exists(out)) {
      throw new FileAlreadyExistsException(out.toString(), null,
          "credentials for '" + id + "' were already issued");
    }
    KeyPair tls = ecKeyPair(random);
    SigningKey signing = SigningKey.generate(random);
    Instant now = clock.instant();
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "fedtel consortium")
        .addRDN(BCStyle.CN, id).build();
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
    for (String h : hosts) {
      boolean ip = h.matches("[0-9.]+") || h.contains(":");
      if (ip) {
        InetAddress.getByName(h); // rejects malformed literals; never resolves names
      }
      names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, h));
    }
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(random),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(MEMBER_VALIDITY)), subject,
        tls.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
        new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
    b.addExtension(Extension.subjectAlternativeName, false,
        new GeneralNames(names.toArray(new GeneralName[0])));
    b.addExtension(Extension.subjectKeyIdentifier, false,
        ext.createSubjectKeyIdentifier(tls.getPublic()));
    b.addExtension(Extension.authorityKeyIdentifier, false,
        ext.createAuthorityKeyIdentifier(certificate));
    b.addExtension(new ASN1ObjectIdentifier(SIGNING_KEY_OID), false,
        new DEROctetString(signing.verifyingKey().toBytes()));
    X509Certificate cert = sign(b, key, random);
    Files.createDirectories(out);
    Pem.writePublic(out.resolve(SiteCredentials.CERT),
        Pem.encode("CERTIFICATE", cert.getEncoded()) + Pem.encode("CERTIFICATE", certificate.getEncoded()));
    Pem.writePublic(out.resolve(SiteCredentials.CA), Pem.encode("CERTIFICATE", certificate.getEncoded()));
    Pem.writeSecret(out.resolve(SiteCredentials.TLS_KEY),
        Pem.encode("PRIVATE KEY", tls.getPrivate().getEncoded()));
    Pem.writeSecret(out.resolve(SiteCredentials.SIGNING_KEY),
        Pem.encode("PRIVATE KEY", Pem.ed25519Pkcs8(signing)));
    return out;
  }

  private static KeyPair ecKeyPair(SecureRandom random) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    return g.generateKeyPair();
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(127, random).add(BigInteger.ONE);
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey key,
      SecureRandom random) throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").setSecureRandom(random)
          .build(key);
      X509CertificateHolder holder = b.build(signer);
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign certificate", e);
    }
  }
}
