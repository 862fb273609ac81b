package io.failback.certs;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A complete throw-away PKI in one folder, for tests and demos: the CA in {@code dir/ca/} and
 * issued identities as {@code dir/<role>-<name>.pem} plus {@code .key}.
 *
 * <p>Keys are still made by {@link KeyRequest} and certified through a CSR, exactly as on real
 * hosts; only the machines are the same.
 */
public final class PkiDirectory {
  /** How long the throw-away CA lives. */
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);

  private final Path dir;
  private final CertificateAuthority ca;

  private PkiDirectory(Path dir, CertificateAuthority ca) {
    this.dir = dir;
    this.ca = ca;
  }

  /** A certificate file (leaf only), its private key file, and the parsed certificate. */
  public record IssuedIdentity(Path certificate, Path privateKey, X509Certificate x509) {}

  /** Creates a new CA in {@code dir/ca/}; refuses if one is already there. */
  public static PkiDirectory create(Path dir, String trustDomain, Clock clock) throws IOException {
    return new PkiDirectory(
        dir, CertificateAuthority.create(dir.resolve("ca"), trustDomain, CA_VALIDITY, clock));
  }

  public Path directory() {
    return dir;
  }

  public CertificateAuthority authority() {
    return ca;
  }

  /** The CA certificate, {@code dir/ca/ca.pem}: the trust anchor for every party. */
  public Path caCertificate() {
    return dir.resolve("ca").resolve(CertificateAuthority.CERT_FILE);
  }

  /**
   * Issues an identity valid from five minutes ago for {@code validity}, replacing earlier files.
   *
   * <p>{@code name} picks the file names; for the controller it is not part of the identity and may
   * be "controller" (or null, meaning "controller").
   */
  public IssuedIdentity issue(
      Role role, String name, List<String> dns, List<String> ips, Duration validity)
      throws IOException {
    KeyRequest request = KeyRequest.generate(fileName(role, name));
    X509Certificate cert = ca.sign(request.csr(), role, name, dns, ips, validity);
    return write(role, name, request, cert);
  }

  /** Issues an identity valid from {@code notBefore} to {@code notAfter}, e.g. an expired one. */
  public IssuedIdentity issue(
      Role role,
      String name,
      List<String> dns,
      List<String> ips,
      Instant notBefore,
      Instant notAfter)
      throws IOException {
    KeyRequest request = KeyRequest.generate(fileName(role, name));
    X509Certificate cert = ca.sign(request.csr(), role, name, dns, ips, notBefore, notAfter);
    return write(role, name, request, cert);
  }

  /** The CA's CRL file, {@code dir/ca/crl.pem}; absent until something is revoked. */
  public Path crlFile() {
    return CrlStore.file(dir.resolve("ca"));
  }

  /** Revokes {@code cert} as {@code failback-pki revoke} does, writing the next CRL. */
  public Crl revoke(X509Certificate cert, CRLReason reason, Duration crlValidity)
      throws IOException {
    return CrlStore.revoke(dir.resolve("ca"), ca,
        new RevokedCertificate(cert.getSerialNumber(), ca.now(), reason), crlValidity);
  }

  /** Writes the next CRL, same entries, valid from {@code thisUpdate} to {@code nextUpdate}. */
  public Crl renewCrl(Instant thisUpdate, Instant nextUpdate) throws IOException {
    Path caDir = dir.resolve("ca");
    Crl next = ca.issueCrl(CrlStore.current(caDir, ca.certificate()).orElse(null), List.of(),
        thisUpdate, nextUpdate);
    Crl.write(CrlStore.file(caDir), List.of(next));
    return next;
  }

  private IssuedIdentity write(Role role, String name, KeyRequest request, X509Certificate cert)
      throws IOException {
    String base = fileName(role, name);
    Path certFile = dir.resolve(base + ".pem");
    Path keyFile = dir.resolve(base + ".key");
    // Key first: a watcher that sees the new certificate must find its key already in place.
    request.writeKey(keyFile);
    Pem.writeCertificates(certFile, List.of(cert));
    return new IssuedIdentity(certFile, keyFile, cert);
  }

  private static String fileName(Role role, String name) {
    Objects.requireNonNull(role, "role");
    String checked =
        role == Role.CONTROLLER && name == null
            ? role.pathSegment()
            : Names.name(role.pathSegment() + " name", name);
    return role.pathSegment() + "-" + checked;
  }
}
