package io.failback.common.tls;

import io.failback.certs.Role;
import io.failback.certs.SpiffeId;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Who a TLS peer is, taken from the single SPIFFE URI SAN of its certificate.
 *
 * <p>Only the URI SAN counts: subject names are free text and easy to confuse, while the path
 * ({@code /agent/<host>}, {@code /operator/<name>}, {@code /controller}) fixes the role. The id
 * must be in the canonical form the Failback CA writes ({@link SpiffeId}): a URI parser would
 * decode {@code /agent/%2e%2e} into a host named {@code ..}, and two spellings of one id would
 * be two identities to every check that compares names.
 */
public record PeerIdentity(String trustDomain, Role role, String name, X509Certificate leaf) {

  private static final int URI_SAN = 6;

  /** The SPIFFE id this identity was parsed from. */
  public String spiffeId() {
    return role == Role.CONTROLLER
        ? "spiffe://" + trustDomain + "/controller"
        : "spiffe://" + trustDomain + "/" + role.pathSegment() + "/" + name;
  }

  /**
   * Parses the identity of {@code leaf}, which must belong to {@code expectedTrustDomain}.
   *
   * @throws IdentityException naming what is wrong with the certificate
   */
  public static PeerIdentity of(X509Certificate leaf, String expectedTrustDomain)
      throws IdentityException {
    List<String> uris = uriSans(leaf);
    if (uris.size() != 1) {
      throw new IdentityException(
          "certificate '%s' must carry exactly one spiffe:// URI SAN, found %d",
          leaf.getSubjectX500Principal().getName(), uris.size());
    }
    SpiffeId id;
    try {
      id = SpiffeId.parse(uris.get(0));
    } catch (IllegalArgumentException e) {
      throw new IdentityException("certificate identity refused: %s", e.getMessage());
    }
    String trustDomain = expectedTrustDomain.toLowerCase(Locale.ROOT);
    if (!id.trustDomain().equals(trustDomain)) {
      throw new IdentityException(
          "certificate identity '%s' is from trust domain '%s', expected '%s'",
          id, id.trustDomain(), trustDomain);
    }
    return new PeerIdentity(trustDomain, id.role(), id.name(), leaf);
  }

  private static List<String> uriSans(X509Certificate leaf) throws IdentityException {
    Collection<List<?>> sans;
    try {
      sans = leaf.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw new IdentityException("certificate SANs cannot be parsed: %s", e.getMessage());
    }
    List<String> uris = new ArrayList<>();
    if (sans != null) {
      for (List<?> san : sans) {
        if (((Integer) san.get(0)) == URI_SAN) {
          uris.add((String) san.get(1));
        }
      }
    }
    return uris;
  }

  @Override
  public String toString() {
    return spiffeId();
  }
}
