package io.failback.certs;

import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Human-readable lines about one certificate, for {@code failback-pki show}. */
final class CertificateDescription {
  private static final String[] KEY_USAGES = {
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly"
  };
  private static final Map<String, String> KEY_PURPOSES =
      Map.of("1.3.6.1.5.5.7.3.1", "serverAuth", "1.3.6.1.5.5.7.3.2", "clientAuth");

  private CertificateDescription() {}

  static List<String> of(X509Certificate cert) {
    List<String> lines = new ArrayList<>();
    lines.add("subject:       " + cert.getSubjectX500Principal().getName());
    lines.add("issuer:        " + cert.getIssuerX500Principal().getName());
    lines.add("spiffe id:     " + Identities.spiffeIdOf(cert).orElse("(none)"));
    lines.add("uri sans:      " + join(Identities.subjectAltNames(cert, Identities.SAN_URI)));
    lines.add("dns sans:      " + join(Identities.subjectAltNames(cert, Identities.SAN_DNS)));
    lines.add("ip sans:       " + join(Identities.subjectAltNames(cert, Identities.SAN_IP)));
    int pathLen = cert.getBasicConstraints();
    lines.add("ca:            " + (pathLen < 0 ? "no" : "yes, path length " + pathLen));
    lines.add("key usage:     " + keyUsage(cert));
    lines.add("ext key usage: " + extendedKeyUsage(cert));
    lines.add("key:           " + describe(cert.getPublicKey()));
    lines.add("key sha256:    " + Identities.keyFingerprint(cert.getPublicKey().getEncoded()));
    lines.add("serial:        " + cert.getSerialNumber().toString(16));
    lines.add("not before:    " + cert.getNotBefore().toInstant());
    lines.add("not after:     " + cert.getNotAfter().toInstant());
    lines.add("thumbprint:    " + Identities.thumbprint(cert) + " (SHA-1)");
    return lines;
  }

  private static String keyUsage(X509Certificate cert) {
    boolean[] bits = cert.getKeyUsage();
    List<String> names = new ArrayList<>();
    for (int i = 0; bits != null && i < bits.length && i < KEY_USAGES.length; i++) {
      if (bits[i]) {
        names.add(KEY_USAGES[i]);
      }
    }
    return join(names);
  }

  private static String extendedKeyUsage(X509Certificate cert) {
    try {
      List<String> oids = cert.getExtendedKeyUsage();
      return oids == null
          ? "(none)"
          : join(oids.stream().map(oid -> KEY_PURPOSES.getOrDefault(oid, oid)).toList());
    } catch (CertificateParsingException e) {
      return "(malformed)";
    }
  }

  private static String describe(PublicKey key) {
    if (key instanceof ECPublicKey ec) {
      return "EC " + ec.getParams().getCurve().getField().getFieldSize() + " bits";
    }
    if (key instanceof RSAPublicKey rsa) {
      return "RSA " + rsa.getModulus().bitLength() + " bits";
    }
    return key.getAlgorithm();
  }

  private static String join(List<String> values) {
    return values.isEmpty() ? "(none)" : String.join(", ", values);
  }
}
