package io.failback.common.tls;

import io.failback.certs.Role;
import java.net.URI;
import java.net.URISyntaxException;
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
 * ({@code /agent/<host>}, {@code /operator/<name>}, {@code /controller}) fixes the role.
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
    String id = uris.get(0);
    URI uri;
    try {
      uri = new URI(id);
    } catch (URISyntaxException e) {
      throw new IdentityException("certificate URI SAN '%s' is not a valid URI", id);
    }
    if (!"spiffe".equals(uri.getScheme()) || uri.getHost() == null || uri.getPath() == null) {
      throw new IdentityException("certificate URI SAN '%s' is not a spiffe:// id", id);
    }
    if (!uri.getHost().equalsIgnoreCase(expectedTrustDomain)) {
      throw new IdentityException(
          "certificate identity '%s' is from trust domain '%s', expected '%s'",
          id, uri.getHost(), expectedTrustDomain);
    }
    String[] segments = uri.getPath().substring(uri.getPath().isEmpty() ? 0 : 1).split("/", -1);
    String trustDomain = expectedTrustDomain.toLowerCase(Locale.ROOT);
    if (segments.length == 1 && segments[0].equals(Role.CONTROLLER.pathSegment())) {
      return new PeerIdentity(trustDomain, Role.CONTROLLER, Role.CONTROLLER.pathSegment(), leaf);
    }
    if (segments.length == 2 && !segments[1].isEmpty()) {
      for (Role role : List.of(Role.AGENT, Role.OPERATOR)) {
        if (segments[0].equals(role.pathSegment())) {
          return new PeerIdentity(
              trustDomain, role, segments[1].toLowerCase(Locale.ROOT), leaf);
        }
      }
    }
    throw new IdentityException(
        "certificate identity '%s' names no known role (expected /agent/<host>,"
            + " /operator/<name> or /controller)",
        id);
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
