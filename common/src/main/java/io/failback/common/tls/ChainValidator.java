package io.failback.common.tls;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Re-validates a peer's chain after the handshake, against the trust anchors in force now.
 *
 * <p>A TLS handshake validates a chain once; a stream may then live for days. Re-running the
 * validation at a later instant catches certificates that expired and CAs that were removed
 * from the trust bundle since the stream opened.
 */
public final class ChainValidator {
  private final Supplier<X509Certificate[]> trustAnchors;

  public ChainValidator(Supplier<X509Certificate[]> trustAnchors) {
    this.trustAnchors = trustAnchors;
  }

  /** Returns null when {@code chain} is valid at {@code at}, otherwise the reason it is not. */
  public String problemAt(List<X509Certificate> chain, Instant at) {
    X509Certificate leaf = chain.get(0);
    if (at.isAfter(leaf.getNotAfter().toInstant())) {
      return "certificate " + leaf.getSubjectX500Principal().getName() + " expired at "
          + leaf.getNotAfter().toInstant();
    }
    try {
      List<X509Certificate> anchorCerts = Arrays.asList(trustAnchors.get());
      if (anchorCerts.isEmpty()) {
        return "no trust anchors are configured";
      }
      Set<TrustAnchor> anchors = new HashSet<>();
      anchorCerts.forEach(c -> anchors.add(new TrustAnchor(c, null)));
      // Peers may send the root along; PKIX wants the path without its anchor.
      List<X509Certificate> path = chain.stream().filter(c -> !anchorCerts.contains(c)).toList();
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(at));
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(path), params);
      return null;
    } catch (GeneralSecurityException e) {
      return "certificate chain no longer validates: " + e.getMessage();
    }
  }
}
