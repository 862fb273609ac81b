package io.failback.common.tls;

import io.failback.certs.Crl;
import io.failback.certs.RevokedCertificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;

/**
 * The CRLs in force, one per trusted CA at most, each verified against that CA's certificate.
 *
 * <p>Immutable. A certificate is revoked when the CRL of the CA that issued it lists its serial;
 * a CA without a CRL here has revoked nothing. A CRL past its next update still counts: it never
 * stops revoking what it lists (see {@link RevocationFile} for why).
 */
public final class Revocations {
  public static final Revocations NONE = new Revocations(Map.of());

  private final Map<X500Principal, Crl> byIssuer;

  private Revocations(Map<X500Principal, Crl> byIssuer) {
    this.byIssuer = byIssuer;
  }

  /**
   * Keeps the CRLs of trusted CAs, each checked against its CA's key.
   *
   * <p>A CRL of a CA that is not trusted is left out: nothing that CA issued gets through PKIX
   * anyway, and a CA rotation leaves such CRLs behind.
   *
   * @throws IllegalArgumentException if a CRL names a trusted CA whose key did not sign it,
   *     two CRLs name one CA, or no CRL is from a trusted CA (most likely the wrong file)
   */
  public static Revocations verify(List<Crl> crls, List<X509Certificate> anchors) {
    Map<X500Principal, Crl> byIssuer = new LinkedHashMap<>();
    for (Crl crl : crls) {
      List<X509Certificate> named = anchors.stream()
          .filter(anchor -> anchor.getSubjectX500Principal().equals(crl.issuer())).toList();
      if (named.isEmpty()) {
        continue;
      }
      if (named.stream().noneMatch(ca -> crl.issuedBy(ca) && maySignCrls(ca))) {
        throw new IllegalArgumentException("the CRL of " + crl.issuer().getName()
            + " (number " + crl.number() + ") is not signed by that CA's key (or its key"
            + " may not sign CRLs)");
      }
      if (byIssuer.put(crl.issuer(), crl) != null) {
        throw new IllegalArgumentException("two CRLs of " + crl.issuer().getName()
            + "; keep only the newest");
      }
    }
    if (byIssuer.isEmpty()) {
      throw new IllegalArgumentException("none of its CRLs is from a trusted CA");
    }
    return new Revocations(Map.copyOf(byIssuer));
  }

  /** Returns null when {@code leaf} is not revoked, otherwise which entry revokes it. */
  public String problemWith(X509Certificate leaf) {
    Crl crl = byIssuer.get(leaf.getIssuerX500Principal());
    Optional<RevokedCertificate> entry =
        crl == null ? Optional.empty() : crl.find(leaf.getSerialNumber());
    return entry.map(revoked -> "certificate " + leaf.getSubjectX500Principal().getName()
        + " (serial " + leaf.getSerialNumber().toString(16) + ") was revoked at "
        + revoked.revokedAt() + " (" + revoked.reasonName() + ", CRL number " + crl.number()
        + ")").orElse(null);
  }

  /**
   * Returns null when {@code next} may replace this set, otherwise why not.
   *
   * <p>A CRL only ever goes forward: for every CA that is still trusted, {@code next} must hold
   * a CRL with a higher number, or the same CRL. An older CRL, or none, would un-revoke.
   */
  public String rollbackProblem(Revocations next, List<X509Certificate> anchors) {
    for (Crl loaded : byIssuer.values()) {
      boolean trusted = anchors.stream()
          .anyMatch(anchor -> anchor.getSubjectX500Principal().equals(loaded.issuer()));
      Crl replacement = next.byIssuer.get(loaded.issuer());
      if (!trusted) {
        continue;
      }
      if (replacement == null) {
        return "it has no CRL of " + loaded.issuer().getName() + ", whose CRL number "
            + loaded.number() + " is in force";
      }
      int order = replacement.number().compareTo(loaded.number());
      if (order < 0 || order == 0 && !Arrays.equals(replacement.encoded(), loaded.encoded())) {
        return "its CRL of " + loaded.issuer().getName() + " has number " + replacement.number()
            + ", not newer than number " + loaded.number() + " in force";
      }
    }
    return null;
  }

  /** The CRLs whose next update is before {@code now}: still enforced, but due for renewal. */
  public List<Crl> staleAt(Instant now) {
    List<Crl> stale = new ArrayList<>();
    for (Crl crl : byIssuer.values()) {
      if (crl.nextUpdate().map(next -> next.isBefore(now)).orElse(false)) {
        stale.add(crl);
      }
    }
    return stale;
  }

  /** One line per CRL: issuer, number, entries and next update. */
  public String describe() {
    if (byIssuer.isEmpty()) {
      return "no CRL";
    }
    List<String> parts = new ArrayList<>();
    for (Crl crl : byIssuer.values()) {
      parts.add("CRL number " + crl.number() + " of " + crl.issuer().getName() + " ("
          + crl.entries().size() + " revoked, next update "
          + crl.nextUpdate().map(Instant::toString).orElse("none") + ")");
    }
    return String.join("; ", parts);
  }

  private static boolean maySignCrls(X509Certificate ca) {
    boolean[] usage = ca.getKeyUsage();
    return usage == null || usage.length > 6 && usage[6];
  }
}
