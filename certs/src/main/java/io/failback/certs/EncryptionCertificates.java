package io.failback.certs;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.Objects;

/**
 * Encryption certificates: an RSA key an agent keeps to unwrap per-job payload keys, and the
 * self-signed certificate it registers so the controller can wrap keys for it.
 *
 * <p>RSA-OAEP-256 with 3072-bit keys rather than ECIES on P-256: the JDK does RSA-OAEP by
 * itself (no hand-made ECDH + KDF + key-wrap composition, no provider to register), OAEP's
 * label binds a wrapped key to its job, and Windows certificate stores treat an RSA
 * keyEncipherment certificate as an encryption certificate. Key wrapping happens once per
 * job, so RSA's cost does not matter.
 *
 * <p>Self-signed because nobody but the agent must trust it: the agent reports it over its
 * mutually authenticated control stream, which is what binds it to the host, and the CA key
 * can stay offline. Its key usage is keyEncipherment only and it names no SPIFFE id, DNS
 * name or IP address, so it cannot authenticate a TLS peer to anyone in Failback.
 */
public final class EncryptionCertificates {
  /** RSA modulus size of new encryption keys; shorter keys are refused when wrapping. */
  public static final int RSA_BITS = 3072;
  /** The subject's OU, which tells encryption certificates apart from identities. */
  public static final String ORGANIZATIONAL_UNIT = "encryption";

  private EncryptionCertificates() {}

  /** A freshly made key pair and its certificate. */
  public record Issued(KeyPair keyPair, X509Certificate certificate) {
    public String thumbprint() {
      return Identities.thumbprint(certificate);
    }

    /** Writes {@code <thumbprint>.key} (owner only) then {@code <thumbprint>.pem} into dir. */
    public Path write(Path dir) throws IOException {
      Path key = dir.resolve(thumbprint() + ".key");
      Path cert = dir.resolve(thumbprint() + ".pem");
      SecureFiles.refuseExisting(key);
      SecureFiles.refuseExisting(cert);
      Pem.writeNewPair(key, keyPair.getPrivate(), cert, certificate);
      return cert;
    }
  }

  /** Makes an RSA-3072 key and a self-signed encryption certificate for {@code hostName}. */
  public static Issued create(String hostName, Duration validity, Clock clock) {
    String name = Names.name("host name", hostName);
    Objects.requireNonNull(validity, "validity");
    Names.check(!validity.isNegative() && !validity.isZero(),
        "validity must be positive, got %s", validity);
    KeyPair keys = newRsaKeyPair();
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    X509Certificate cert = CertificateBuilder.selfSignedEncryption(
        name, keys, now.minus(CertificateAuthority.BACKDATE), now.plus(validity));
    return new Issued(keys, cert);
  }

  /**
   * Checks that {@code cert} may receive a wrapped key at {@code now}.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static void checkUsable(X509Certificate cert, Instant now) {
    try {
      cert.checkValidity(Date.from(now));
    } catch (CertificateExpiredException | CertificateNotYetValidException e) {
      throw new IllegalArgumentException("encryption certificate " + Identities.thumbprint(cert)
          + " is not valid at " + now + " (valid " + cert.getNotBefore().toInstant() + " to "
          + cert.getNotAfter().toInstant() + ")", e);
    }
    boolean[] usage = cert.getKeyUsage();
    Names.check(usage != null && usage.length > 2 && usage[2],
        "certificate %s does not allow keyEncipherment; make one with failback-pki"
            + " encryption-cert", Identities.thumbprint(cert));
    Names.check(cert.getPublicKey() instanceof RSAPublicKey rsa
            && rsa.getModulus().bitLength() >= RSA_BITS,
        "certificate %s must hold an RSA key of at least %s bits", Identities.thumbprint(cert),
        RSA_BITS);
  }

  /** Whether {@code key} is the private half of {@code cert}'s public key. */
  public static boolean matches(X509Certificate cert, PrivateKey key) {
    if (!(cert.getPublicKey() instanceof RSAPublicKey pub)
        || !(key instanceof RSAPrivateKey priv)) {
      return false;
    }
    return pub.getModulus().equals(priv.getModulus());
  }

  private static KeyPair newRsaKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(RSA_BITS);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot generate RSA keys", e);
    }
  }
}
