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
 *
 * <p>It also refuses what PKIX accepts but a Failback identity must not be: a leaf that claims
 * to be a CA, and a certificate the CRLs in force revoke, which catches streams whose peer was
 * revoked since they opened.
 */
public final class ChainValidator {
  private static final int KEY_CERT_SIGN = 5;

  private final Supplier<X509Certificate[]> trustAnchors;
  private final Supplier<Revocations> revocations;

  /** A validator that knows of no revoked certificate. */
  public ChainValidator(Supplier<X509Certificate[]> trustAnchors) {
    this(trustAnchors, () -> Revocations.NONE);
  }

  /** A validator that also refuses what the CRLs in force at each check revoke. */
  public ChainValidator(Supplier<X509Certificate[]> trustAnchors,
      Supplier<Revocations> revocations) {
    this.trustAnchors = trustAnchors;
    this.revocations = revocations;
  }

  /**
   * What a handshake must check beyond the trust manager's PKIX: the leaf rules and revocation.
   *
   * <p>Returns null when {@code chain} passes, otherwise the reason it does not.
   */
  public String handshakeProblem(List<X509Certificate> chain) {
    String notLeaf = leafProblem(chain.get(0));
    return notLeaf != null ? notLeaf : revocations.get().problemWith(chain.get(0));
  }

  /**
   * Refuses a leaf that claims to be a CA.
   *
   * <p>PKIX checks basic constraints only on the certificates above the leaf, and the JDK's TLS
   * checks look at key usages, so a {@code CA:TRUE} certificate the CA key signed by mistake
   * would authenticate a peer, and could sign further "leaves" that pass wherever path length
   * is not enforced.
   */
  public static String leafProblem(X509Certificate leaf) {
    boolean[] usage = leaf.getKeyUsage();
    boolean certSign = usage != null && usage.length > KEY_CERT_SIGN && usage[KEY_CERT_SIGN];
    if (leaf.getBasicConstraints() >= 0 || certSign) {
      return "certificate " + leaf.getSubjectX500Principal().getName() + " (serial "
          + leaf.getSerialNumber().toString(16) + ") claims to be a CA (CA:TRUE or keyCertSign);"
          + " a Failback identity must be a leaf certificate";
    }
    return null;
  }

  /** Returns null when {@code chain} is valid at {@code at}, otherwise the reason it is not. */
  public String problemAt(List<X509Certificate> chain, Instant at) {
    X509Certificate leaf = chain.get(0);
    String refused = handshakeProblem(chain);
    if (refused != null) {
      return refused;
    }
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
