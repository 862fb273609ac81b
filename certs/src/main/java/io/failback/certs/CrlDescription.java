package io.failback.certs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Human-readable lines about one CRL, for {@code failback-pki show} and {@code crl}. */
final class CrlDescription {
  private CrlDescription() {}

  static List<String> of(Crl crl, Instant now) {
    List<String> lines = new ArrayList<>();
    lines.add("crl issuer:    " + crl.issuer().getName());
    lines.add("crl number:    " + crl.number());
    lines.add("this update:   " + crl.thisUpdate());
    lines.add("next update:   " + crl.nextUpdate()
        .map(next -> next + (next.isBefore(now) ? " (passed: renew with failback-pki crl"
            + " --renew)" : ""))
        .orElse("(none)"));
    List<RevokedCertificate> entries = crl.entries();
    lines.add("revoked:       " + (entries.isEmpty() ? "none" : entries.size()));
    for (RevokedCertificate entry : entries) {
      lines.add("  serial " + entry.serial().toString(16) + "  since " + entry.revokedAt()
          + "  " + entry.reasonName());
    }
    return lines;
  }
}
