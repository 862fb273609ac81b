package io.failback.controller.cli;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/** How long a certificate has left, as an operator reads it: "in 4.7 days", "EXPIRED". */
final class CertificateLife {
  private CertificateLife() {}

  static String left(Timestamp notAfter, Instant now) {
    Duration left = Duration.between(now, Instant.ofEpochMilli(Timestamps.toMillis(notAfter)));
    if (left.isNegative() || left.isZero()) {
      return "EXPIRED";
    }
    if (left.toHours() >= 48) {
      return String.format(Locale.ROOT, "in %.1f days", left.toMinutes() / 1440.0);
    }
    if (left.toMinutes() >= 120) {
      return String.format(Locale.ROOT, "in %.1f hours", left.toMinutes() / 60.0);
    }
    return "in " + Math.max(1, left.toMinutes()) + " min";
  }
}
