package io.failback.certs;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Helpers for SPIFFE ids and certificate thumbprints. */
public final class Identities {
  static final String SCHEME = "spiffe://";
  static final int SAN_DNS = 2;
  static final int SAN_URI = 6;
  static final int SAN_IP = 7;

  private Identities() {}

  /**
   * The SPIFFE id of a role's holder; the controller's is always {@code spiffe://td/controller}.
   */
  public static String spiffeId(String trustDomain, Role role, String name) {
    String td = Names.trustDomain(trustDomain);
    Objects.requireNonNull(role, "role");
    if (role == Role.CONTROLLER) {
      return SCHEME + td + "/" + role.pathSegment();
    }
    String checked = Names.name(role.pathSegment() + " name", name);
    return SCHEME + td + "/" + role.pathSegment() + "/" + checked;
  }

  /** The SPIFFE id of a certificate: its only {@code spiffe://} URI SAN, if exactly one. */
  public static Optional<String> spiffeIdOf(X509Certificate cert) {
    List<String> ids =
        subjectAltNames(cert, SAN_URI).stream().filter(uri -> uri.startsWith(SCHEME)).toList();
    return ids.size() == 1 ? Optional.of(ids.get(0)) : Optional.empty();
  }

  /** Lower-case hex SHA-1 of the certificate's DER encoding. */
  public static String thumbprint(X509Certificate cert) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return HexFormat.of().formatHex(sha1.digest(cert.getEncoded()));
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new IllegalStateException("cannot compute a certificate thumbprint", e);
    }
  }

  /**
   * SHA-256 of a DER SubjectPublicKeyInfo as "sha256:" plus lower-case hex.
   *
   * <p>{@code request} and {@code sign} both print it, so a CSR can be matched to the host that
   * made it over a second channel (a phone call, a ticket).
   */
  static String keyFingerprint(byte[] subjectPublicKeyInfo) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      return "sha256:" + HexFormat.of().formatHex(sha256.digest(subjectPublicKeyInfo));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /** The subject alternative names of one type (2 DNS, 6 URI, 7 IP) as strings. */
  static List<String> subjectAltNames(X509Certificate cert, int type) {
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw new IllegalArgumentException("certificate has a malformed subjectAltName", e);
    }
    List<String> values = new ArrayList<>();
    if (sans != null) {
      for (List<?> san : sans) {
        if (((Integer) san.get(0)) == type) {
          values.add(String.valueOf(san.get(1)));
        }
      }
    }
    return values;
  }
}
