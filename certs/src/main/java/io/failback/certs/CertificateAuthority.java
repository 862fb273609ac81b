package io.failback.certs;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * A Failback certificate authority kept in a directory as {@code ca.pem} and {@code ca.key}.
 *
 * <p>The CA certifies identities it decides itself: a CSR only proves possession of its key, and
 * its requested subject and extensions are ignored. Instances are immutable and thread-safe.
 */
public final class CertificateAuthority {
  static final String CERT_FILE = "ca.pem";
  static final String KEY_FILE = "ca.key";
  /** The CA's current CRL in its directory, as {@code failback-pki revoke} keeps it. */
  public static final String CRL_FILE = "crl.pem";
  // Tolerates clocks of hosts that run slightly behind the CA host.
  static final Duration BACKDATE = Duration.ofMinutes(5);
  private static final int MIN_RSA_BITS = 2048;
  private static final int MIN_EC_BITS = 256;

  private final String trustDomain;
  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final Clock clock;

  private CertificateAuthority(
      String trustDomain, X509Certificate certificate, PrivateKey privateKey, Clock clock) {
    this.trustDomain = trustDomain;
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.clock = clock;
  }

  /** Creates a new CA in {@code caDir}; refuses if the directory already holds one. */
  public static CertificateAuthority create(
      Path caDir, String trustDomain, Duration validity, Clock clock) throws IOException {
    String td = Names.trustDomain(trustDomain);
    checkPositive(validity);
    Objects.requireNonNull(clock, "clock");
    Path certFile = caDir.resolve(CERT_FILE);
    Path keyFile = caDir.resolve(KEY_FILE);
    SecureFiles.refuseExisting(certFile);
    SecureFiles.refuseExisting(keyFile);
    KeyPair keys = KeyRequest.newKeyPair();
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    X509Certificate cert =
        CertificateBuilder.selfSignedCa(td, keys, now.minus(BACKDATE), now.plus(validity));
    Pem.writeNewPair(keyFile, keys.getPrivate(), certFile, cert);
    return new CertificateAuthority(td, cert, keys.getPrivate(), clock);
  }

  /** Loads the CA in {@code caDir} using the system clock. */
  public static CertificateAuthority load(Path caDir) throws IOException {
    return load(caDir, Clock.systemUTC());
  }

  /** Loads the CA in {@code caDir}; {@code clock} dates the certificates it signs. */
  public static CertificateAuthority load(Path caDir, Clock clock) throws IOException {
    Path certFile = caDir.resolve(CERT_FILE);
    X509Certificate cert = Pem.readCertificates(certFile).get(0);
    PrivateKey key = Pem.readPrivateKey(caDir.resolve(KEY_FILE));
    if (cert.getBasicConstraints() < 0) {
      throw new IOException(certFile + " is not a CA certificate");
    }
    if (!KeyPairFiles.matches(key, cert.getPublicKey())) {
      throw new IOException(caDir.resolve(KEY_FILE) + " does not belong to " + certFile);
    }
    List<String> ids =
        Identities.subjectAltNames(cert, Identities.SAN_URI).stream()
            .filter(uri -> uri.startsWith(Identities.SCHEME))
            .toList();
    if (ids.size() != 1) {
      throw new IOException(
          certFile + " records no trust domain (expected one URI SAN spiffe://<trust-domain>)");
    }
    String td = Names.trustDomain(ids.get(0).substring(Identities.SCHEME.length()));
    return new CertificateAuthority(td, cert, key, Objects.requireNonNull(clock, "clock"));
  }

  public String trustDomain() {
    return trustDomain;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * Signs a leaf certificate for {@code role}, valid from {@code notBefore} to {@code notAfter}.
   *
   * <p>{@code name} is ignored for the controller; DNS names and IP addresses are allowed for the
   * controller only. Throws IllegalArgumentException if the CSR's signature does not verify, its
   * key is weak, or the validity does not fit inside the CA's.
   */
  public X509Certificate sign(
      PKCS10CertificationRequest csr,
      Role role,
      String name,
      List<String> dnsNames,
      List<String> ipAddresses,
      Instant notBefore,
      Instant notAfter)
      throws IOException {
    Objects.requireNonNull(csr, "csr");
    LeafIdentity identity = LeafIdentity.of(trustDomain, role, name, dnsNames, ipAddresses);
    Names.check(
        notBefore.isBefore(notAfter),
        "notBefore %s must be before notAfter %s",
        notBefore,
        notAfter);
    Instant caNotAfter = certificate.getNotAfter().toInstant();
    Names.check(
        !notAfter.isAfter(caNotAfter),
        "the certificate would expire at %s, after the CA itself (%s); use a shorter validity"
            + " or a new CA",
        notAfter,
        caNotAfter);
    verifyProofOfPossession(csr);
    return CertificateBuilder.leaf(
        certificate,
        privateKey,
        trustDomain,
        identity,
        csr.getSubjectPublicKeyInfo(),
        notBefore,
        notAfter);
  }

  /** Signs a leaf valid from five minutes ago (by the CA's clock) for {@code validity}. */
  public X509Certificate sign(
      PKCS10CertificationRequest csr,
      Role role,
      String name,
      List<String> dnsNames,
      List<String> ipAddresses,
      Duration validity)
      throws IOException {
    checkPositive(validity);
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    return sign(csr, role, name, dnsNames, ipAddresses, now.minus(BACKDATE), now.plus(validity));
  }

  /**
   * Signs the CRL that follows {@code previous} (null for the first): its entries plus
   * {@code added}, the next CRL number, valid from {@code thisUpdate} to {@code nextUpdate}.
   *
   * <p>Throws IllegalArgumentException if {@code previous} is not this CA's, or if an added
   * serial is already revoked.
   */
  public Crl issueCrl(Crl previous, List<RevokedCertificate> added, Instant thisUpdate,
      Instant nextUpdate) {
    Names.check(thisUpdate.isBefore(nextUpdate), "thisUpdate %s must be before nextUpdate %s",
        thisUpdate, nextUpdate);
    List<RevokedCertificate> entries = new ArrayList<>();
    BigInteger number = BigInteger.ONE;
    if (previous != null) {
      Names.check(previous.issuedBy(certificate),
          "the existing CRL was not issued by this CA (%s); refusing to extend it",
          certificate.getSubjectX500Principal().getName());
      entries.addAll(previous.entries());
      number = previous.number().add(BigInteger.ONE);
    }
    for (RevokedCertificate entry : added) {
      Names.check(entries.stream().noneMatch(e -> e.serial().equals(entry.serial())),
          "serial %s is already revoked", entry.serial().toString(16));
      entries.add(entry);
    }
    return CrlBuilder.build(certificate, privateKey, number, entries,
        thisUpdate.truncatedTo(ChronoUnit.SECONDS), nextUpdate.truncatedTo(ChronoUnit.SECONDS));
  }

  /** Signs the CRL that follows {@code previous}, valid from now for {@code validity}. */
  public Crl issueCrl(Crl previous, List<RevokedCertificate> added, Duration validity) {
    checkPositive(validity);
    Instant now = now();
    return issueCrl(previous, added, now, now.plus(validity));
  }

  /** Now, by the clock this CA dates what it signs with. */
  public Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }

  /** The CSR must be signed by the key it carries, and that key must be strong enough. */
  private static void verifyProofOfPossession(PKCS10CertificationRequest csr) {
    PublicKey key;
    boolean valid;
    try {
      key = new JcaPKCS10CertificationRequest(csr).getPublicKey();
      valid = csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
      throw new IllegalArgumentException(
          "the CSR's signature cannot be checked: " + e.getMessage(), e);
    }
    Names.check(
        valid, "the CSR's signature does not verify with its own public key; refusing to sign");
    if (key instanceof ECPublicKey ec) {
      int bits = ec.getParams().getCurve().getField().getFieldSize();
      Names.check(bits >= MIN_EC_BITS, "the CSR's EC key has %s bits; at least 256 needed", bits);
    } else if (key instanceof RSAPublicKey rsa) {
      int bits = rsa.getModulus().bitLength();
      Names.check(
          bits >= MIN_RSA_BITS, "the CSR's RSA key has %s bits; at least 2048 needed", bits);
    } else {
      throw new IllegalArgumentException(
          "the CSR's key type " + key.getAlgorithm() + " is not supported; use EC or RSA");
    }
  }

  private static void checkPositive(Duration validity) {
    Objects.requireNonNull(validity, "validity");
    Names.check(
        !validity.isNegative() && !validity.isZero(),
        "validity must be positive, got %s",
        validity);
  }
}
