package io.failback.common.testing;

import io.failback.certs.Crl;
import io.failback.certs.Pem;
import io.failback.certs.PkiDirectory;
import io.failback.certs.PkiDirectory.IssuedIdentity;
import io.failback.certs.Role;
import io.failback.common.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** A throw-away PKI for tests: one CA and the certificates tests ask for, as real PEM files. */
public final class TestPki {
  public static final String TRUST_DOMAIN = "failback.test";

  private final PkiDirectory pki;

  private TestPki(PkiDirectory pki) {
    this.pki = pki;
  }

  public static TestPki create(Path dir) throws IOException {
    return new TestPki(PkiDirectory.create(dir, TRUST_DOMAIN, Clock.systemUTC()));
  }

  public static TestPki create(Path dir, String trustDomain) throws IOException {
    return new TestPki(PkiDirectory.create(dir, trustDomain, Clock.systemUTC()));
  }

  public Path caCertificate() {
    return pki.caCertificate();
  }

  /** The CA's folder ({@code ca.pem}, {@code ca.key}), as {@code failback-pki --ca-dir} takes. */
  public Path caDirectory() {
    return pki.caCertificate().getParent();
  }

  /** A controller certificate for localhost and 127.0.0.1. */
  public TlsFiles controller() throws IOException {
    return files(pki.issue(Role.CONTROLLER, "controller", List.of("localhost"),
        List.of("127.0.0.1"), Duration.ofDays(1)));
  }

  /** A controller certificate for a name nobody dials in tests. */
  public TlsFiles controllerFor(String dnsName) throws IOException {
    return files(pki.issue(Role.CONTROLLER, "controller", List.of(dnsName), List.of(),
        Duration.ofDays(1)));
  }

  public TlsFiles agent(String hostName) throws IOException {
    return files(pki.issue(Role.AGENT, hostName, List.of(), List.of(), Duration.ofDays(1)));
  }

  public TlsFiles operator(String name) throws IOException {
    return files(pki.issue(Role.OPERATOR, name, List.of(), List.of(), Duration.ofDays(1)));
  }

  /** A read-only operator's certificate: lists, gets and watches, never acts. */
  public TlsFiles readOnlyOperator(String name) throws IOException {
    return files(pki.issue(Role.OPERATOR_READONLY, name, List.of(), List.of(),
        Duration.ofDays(1)));
  }

  /** A simulator's certificate: drives the simulated cloud's guests, nothing else. */
  public TlsFiles simulator(String name) throws IOException {
    return files(pki.issue(Role.SIMULATOR, name, List.of(), List.of(), Duration.ofDays(1)));
  }

  /** A certificate valid from {@code notBefore} to {@code notAfter}. */
  public TlsFiles issue(Role role, String name, Instant notBefore, Instant notAfter)
      throws IOException {
    return files(pki.issue(role, name, List.of(), List.of(), notBefore, notAfter));
  }

  /** Revokes the certificate in {@code files} (keyCompromise) into the CA's {@code crl.pem}. */
  public Crl revoke(TlsFiles files) throws IOException {
    X509Certificate cert = Pem.readCertificates(files.certificate()).get(0);
    return pki.revoke(cert, CRLReason.KEY_COMPROMISE, Duration.ofDays(30));
  }

  /** The CA's CRL, {@code crl.pem} beside {@code ca.pem}: where the controller looks. */
  public Path crlFile() {
    return pki.crlFile();
  }

  /** Re-signs the CRL, same entries, valid from {@code thisUpdate} to {@code nextUpdate}. */
  public Crl renewCrl(Instant thisUpdate, Instant nextUpdate) throws IOException {
    return pki.renewCrl(thisUpdate, nextUpdate);
  }

  /** Copies an identity's files into {@code dir}, so a later issue cannot overwrite them. */
  public static TlsFiles copy(TlsFiles files, Path dir) throws IOException {
    Files.createDirectories(dir);
    Path cert = Files.copy(files.certificate(), dir.resolve(files.certificate().getFileName()));
    Path key = Files.copy(files.privateKey(), dir.resolve(files.privateKey().getFileName()));
    return new TlsFiles(cert, key, files.trustBundle());
  }

  public IssuedIdentity issueRaw(Role role, String name, List<String> dns, List<String> ips,
      Duration validity) throws IOException {
    return pki.issue(role, name, dns, ips, validity);
  }

  private TlsFiles files(IssuedIdentity identity) {
    return new TlsFiles(identity.certificate(), identity.privateKey(), pki.caCertificate());
  }
}
