package io.failback.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.util.Timestamps;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class CertificateLifeTest {
  private static final Instant NOW = Instant.parse("2026-12-06T20:00:00Z");

  @Test
  void saysDaysHoursOrMinutesLeftAndExpiredAfter() {
    assertEquals("in 4.7 days", left(Duration.ofHours(112)));
    assertEquals("in 47.5 hours", left(Duration.ofMinutes(2850)));
    assertEquals("in 119 min", left(Duration.ofMinutes(119)));
    assertEquals("in 1 min", left(Duration.ofSeconds(20)));
    assertEquals("EXPIRED", left(Duration.ZERO));
    assertEquals("EXPIRED", left(Duration.ofDays(-1)));
  }

  private static String left(Duration left) {
    return CertificateLife.left(Timestamps.fromMillis(NOW.plus(left).toEpochMilli()), NOW);
  }
}
