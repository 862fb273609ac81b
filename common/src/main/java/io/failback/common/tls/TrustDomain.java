package io.failback.common.tls;

import java.net.URI;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** Finds the trust domain a Failback CA certificate was created for. */
public final class TrustDomain {
  private TrustDomain() {}

  /**
   * Returns the trust domain of the first CA in {@code anchors} that names one (a bare
   * {@code spiffe://<trust-domain>} URI SAN, as the Failback PKI tooling writes it).
   *
   * @throws IdentityException when none does, so the operator must name it explicitly
   */
  public static String of(List<X509Certificate> anchors) throws IdentityException {
    for (X509Certificate anchor : anchors) {
      try {
        Collection<List<?>> sans = anchor.getSubjectAlternativeNames();
        if (sans == null) {
          continue;
        }
        for (List<?> san : sans) {
          if ((Integer) san.get(0) == 6) {
            URI uri = URI.create((String) san.get(1));
            if ("spiffe".equals(uri.getScheme()) && uri.getHost() != null) {
              return uri.getHost().toLowerCase(Locale.ROOT);
            }
          }
        }
      } catch (CertificateParsingException | IllegalArgumentException e) {
        // Not a Failback CA; look at the next one.
      }
    }
    throw new IdentityException(
        "the trust bundle names no trust domain (no spiffe:// URI SAN on its CA); set it"
            + " explicitly with --trust-domain");
  }
}
