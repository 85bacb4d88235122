package org.fedtel.crypto;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CRLReason;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertException;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

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
  /** Every certificate issued: "serial-hex id not-after" per line, appended before release. */
  static final String ISSUED = "issued.txt";
  /** Every revocation: "serial-hex id revoked-at reason" per line. */
  static final String REVOKED = "revoked.txt";
  /** The current certificate revocation list, replaced atomically by each revocation. */
  public static final String CRL = "crl.pem";
  /** Default time until a revocation list's next update. */
  public static final Duration CRL_VALIDITY = Duration.ofDays(30);
  /** Reasons a member certificate may be revoked for (RFC 5280 §5.3.1; no holds). */
  public static final Set<CRLReason> REVOCATION_REASONS = Set.copyOf(EnumSet.of(
      CRLReason.UNSPECIFIED, CRLReason.KEY_COMPROMISE, CRLReason.AFFILIATION_CHANGED,
      CRLReason.SUPERSEDED, CRLReason.CESSATION_OF_OPERATION, CRLReason.PRIVILEGE_WITHDRAWN));

  /** A certificate this CA issued. */
  public record Issued(BigInteger serial, String memberId, Instant notAfter) {
    public Issued {
      Objects.requireNonNull(serial, "serial");
      Objects.requireNonNull(memberId, "memberId");
      Objects.requireNonNull(notAfter, "notAfter");
    }
  }

  /** A revocation this CA recorded. */
  public record Revocation(BigInteger serial, String memberId, Instant revokedAt,
      CRLReason reason) {
    public Revocation {
      Objects.requireNonNull(serial, "serial");
      Objects.requireNonNull(memberId, "memberId");
      Objects.requireNonNull(revokedAt, "revokedAt");
      Objects.requireNonNull(reason, "reason");
    }
  }

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
    // Recorded before anything is released, so the CA can always revoke what it issued.
    appendLine(dir.resolve(ISSUED), cert.getSerialNumber().toString(16) + " " + id + " "
        + cert.getNotAfter().toInstant());
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

  /**
   * The certificates this CA issued, oldest first: the ones recorded in {@code issued.txt}, and
   * member certificates in this directory from before that record existed.
   */
  public List<Issued> issued() throws IOException, GeneralSecurityException {
    Map<BigInteger, Issued> out = new LinkedHashMap<>();
    int line = 0;
    for (String[] f : readLines(dir.resolve(ISSUED), 3)) {
      line++;
      try {
        Issued i = new Issued(new BigInteger(f[0], 16), f[1], Instant.parse(f[2]));
        out.putIfAbsent(i.serial(), i);
      } catch (RuntimeException e) {
        throw new IOException(dir.resolve(ISSUED) + " line " + line + ": malformed record", e);
      }
    }
    List<Path> members = new ArrayList<>();
    members.add(dir.resolve(COORDINATOR_ID).resolve(SiteCredentials.CERT));
    Path sites = dir.resolve("sites");
    if (Files.isDirectory(sites)) {
      try (var list = Files.list(sites)) {
        list.sorted().forEach(d -> members.add(d.resolve(SiteCredentials.CERT)));
      }
    }
    ConsortiumTrust trust = ConsortiumTrust.of(certificate, clock);
    for (Path m : members) {
      if (!Files.exists(m)) {
        continue;
      }
      X509Certificate c = Pem.certificates(m).get(0);
      if (!out.containsKey(c.getSerialNumber())) {
        try {
          c.verify(certificate.getPublicKey());
          out.put(c.getSerialNumber(), new Issued(c.getSerialNumber(),
              trust.verify(c).siteId(), c.getNotAfter().toInstant()));
        } catch (GeneralSecurityException notOurs) {
          // issued by another CA or no member certificate: nothing this CA can revoke
        }
      }
    }
    return List.copyOf(out.values());
  }

  /** The revocations recorded in this CA directory, oldest first. */
  public List<Revocation> revocations() throws IOException {
    List<Revocation> out = new ArrayList<>();
    int line = 0;
    for (String[] f : readLines(dir.resolve(REVOKED), 4)) {
      line++;
      try {
        out.add(new Revocation(new BigInteger(f[0], 16), f[1], Instant.parse(f[2]),
            CRLReason.valueOf(f[3])));
      } catch (RuntimeException e) {
        throw new IOException(dir.resolve(REVOKED) + " line " + line + ": malformed record", e);
      }
    }
    return out;
  }

  /**
   * Revokes every certificate issued to {@code memberId} that is not revoked yet and records it;
   * call {@link #writeRevocationList} to publish.
   *
   * @throws IllegalArgumentException if this CA issued nothing to that member, or all of it is
   *     revoked already, or the reason is not one a member certificate is revoked for
   */
  public List<Revocation> revokeMember(String memberId, CRLReason reason)
      throws IOException, GeneralSecurityException {
    Objects.requireNonNull(memberId, "memberId");
    checkReason(reason);
    Set<BigInteger> done = revokedSerials();
    List<Issued> targets = new ArrayList<>();
    boolean any = false;
    for (Issued i : issued()) {
      if (i.memberId().equals(memberId)) {
        any = true;
        if (!done.contains(i.serial())) {
          targets.add(i);
        }
      }
    }
    if (!any) {
      throw new IllegalArgumentException("this CA issued no certificate to '" + memberId + "'");
    }
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("every certificate issued to '" + memberId
          + "' is already revoked");
    }
    List<Revocation> out = new ArrayList<>();
    for (Issued i : targets) {
      out.add(record(i, reason));
    }
    return out;
  }

  /**
   * Revokes the certificate with {@code serial} and records it; call {@link
   * #writeRevocationList} to publish.
   *
   * @throws IllegalArgumentException if this CA did not issue it, or it is revoked already
   */
  public Revocation revokeSerial(BigInteger serial, CRLReason reason)
      throws IOException, GeneralSecurityException {
    Objects.requireNonNull(serial, "serial");
    checkReason(reason);
    for (Issued i : issued()) {
      if (i.serial().equals(serial)) {
        if (revokedSerials().contains(serial)) {
          throw new IllegalArgumentException("certificate " + serial.toString(16) + " of '"
              + i.memberId() + "' is already revoked");
        }
        return record(i, reason);
      }
    }
    throw new IllegalArgumentException("this CA issued no certificate with serial "
        + serial.toString(16));
  }

  /**
   * Signs a complete CRL (RFC 5280 §5) of every recorded revocation, valid for {@code validity},
   * with the next CRL number, and replaces {@code crl.pem} atomically.
   *
   * @return the CRL file
   */
  public Path writeRevocationList(Duration validity) throws IOException, GeneralSecurityException {
    if (validity.isNegative() || validity.isZero()) {
      throw new IllegalArgumentException("a revocation list must be valid for a positive time");
    }
    Path file = dir.resolve(CRL);
    ConsortiumTrust trust = ConsortiumTrust.of(certificate, clock);
    BigInteger number = BigInteger.ONE;
    if (Files.exists(file)) {
      // The number must grow even if the previous list has expired, so read it without the
      // validity checks: it was written by this CA.
      byte[] der = Pem.single(file, RevocationList.PEM_TYPE);
      try {
        X509CRLHolder previous = new X509CRLHolder(der);
        if (!previous.isSignatureValid(new JcaContentVerifierProviderBuilder()
            .build(certificate))) {
          throw new GeneralSecurityException(file + " is not signed by this CA");
        }
        number = ASN1Integer.getInstance(previous.getExtension(Extension.cRLNumber)
            .getParsedValue()).getPositiveValue().add(BigInteger.ONE);
      } catch (IOException | OperatorCreationException | CertException | RuntimeException e) {
        throw new GeneralSecurityException(file + ": the previous revocation list is unreadable ("
            + e.getMessage() + "); move it away to start the numbering again", e);
      }
    }
    Instant now = clock.instant();
    JcaX509v2CRLBuilder b = new JcaX509v2CRLBuilder(certificate, Date.from(now));
    b.setNextUpdate(Date.from(now.plus(validity)));
    for (Revocation r : revocations()) {
      b.addCRLEntry(r.serial(), Date.from(r.revokedAt()), r.reason().ordinal());
    }
    b.addExtension(Extension.authorityKeyIdentifier, false,
        new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(certificate));
    b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
    X509CRLHolder holder;
    try {
      holder = b.build(new JcaContentSignerBuilder("SHA256withECDSA").setSecureRandom(random)
          .build(key));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign the revocation list", e);
    }
    byte[] der = holder.getEncoded();
    RevocationList.parse(der, trust, "new revocation list"); // what a verifier will check
    Path tmp = dir.resolve(CRL + ".tmp");
    Files.deleteIfExists(tmp);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(Pem.encode(RevocationList.PEM_TYPE, der)
          .getBytes(StandardCharsets.US_ASCII)));
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return file;
  }

  private Revocation record(Issued i, CRLReason reason) throws IOException {
    // Whole seconds: the CRL's revocation dates carry no more (RFC 5280 §5.1.2.6).
    Revocation r = new Revocation(i.serial(), i.memberId(),
        clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), reason);
    appendLine(dir.resolve(REVOKED), r.serial().toString(16) + " " + r.memberId() + " "
        + r.revokedAt() + " " + r.reason().name());
    return r;
  }

  private Set<BigInteger> revokedSerials() throws IOException {
    Set<BigInteger> out = new HashSet<>();
    for (Revocation r : revocations()) {
      out.add(r.serial());
    }
    return out;
  }

  private static void checkReason(CRLReason reason) {
    if (!REVOCATION_REASONS.contains(Objects.requireNonNull(reason, "reason"))) {
      throw new IllegalArgumentException("a member certificate cannot be revoked for reason "
          + reason + " (allowed: " + REVOCATION_REASONS + ")");
    }
  }

  /** Appends one line and forces it to disk before returning. */
  private static void appendLine(Path file, String line) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.US_ASCII)));
      ch.force(true);
    }
  }

  private static List<String[]> readLines(Path file, int fields) throws IOException {
    List<String[]> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    int n = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.trim().split(" ");
      if (f.length != fields) {
        throw new IOException(file + " line " + n + ": expected " + fields + " fields, found "
            + f.length);
      }
      out.add(f);
    }
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
