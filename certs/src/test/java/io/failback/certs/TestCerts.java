package io.failback.certs;

import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Set;

/** Shared helpers for reading certificates in tests. */
final class TestCerts {
  static final Instant NOW = Instant.parse("2030-03-01T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private TestCerts() {}

  static List<String> uris(X509Certificate cert) {
    return Identities.subjectAltNames(cert, Identities.SAN_URI);
  }

  static List<String> dnsNames(X509Certificate cert) {
    return Identities.subjectAltNames(cert, Identities.SAN_DNS);
  }

  static List<String> ips(X509Certificate cert) {
    return Identities.subjectAltNames(cert, Identities.SAN_IP);
  }

  /** Validates leaf -> CA with the JDK's PKIX validator at {@code at}; throws if invalid. */
  static void validateChain(X509Certificate leaf, X509Certificate ca, Instant at) throws Exception {
    CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf));
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    params.setRevocationEnabled(false);
    params.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX").validate(path, params);
  }
}
