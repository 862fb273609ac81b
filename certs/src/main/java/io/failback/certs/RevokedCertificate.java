package io.failback.certs;

import java.math.BigInteger;
import java.security.cert.CRLReason;
import java.time.Instant;
import java.util.Objects;

/** One entry of a CRL: which certificate (by serial), since when, and why. */
public record RevokedCertificate(BigInteger serial, Instant revokedAt, CRLReason reason) {
  public RevokedCertificate {
    Objects.requireNonNull(serial, "serial");
    Objects.requireNonNull(revokedAt, "revokedAt");
    Objects.requireNonNull(reason, "reason");
    Names.check(serial.signum() > 0, "a certificate serial is positive, got %s", serial);
  }

  /** The reason by its RFC 5280 name, e.g. {@code keyCompromise}. */
  public String reasonName() {
    return CrlReasons.name(reason);
  }
}
