package io.failback.controller.certificates;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The pace never refuses what an agent renews by itself, whatever the lifetime. */
class RenewalPaceTest {
  private final AtomicLong nanos = new AtomicLong();

  /** How many of {@code count} renewals {@code every} apart are refused. */
  private int refused(RenewalPace pace, Duration every, int count) {
    int refused = 0;
    for (int i = 0; i < count; i++) {
      try {
        pace.take("host/hv-01");
      } catch (CertificateException e) {
        assertEquals(CertificateException.Kind.TOO_OFTEN, e.kind());
        refused++;
      }
      nanos.addAndGet(every.toNanos());
    }
    return refused;
  }

  @Test
  void aLifetimeAlwaysDueRenewsAtEveryLookOfTheAgentAndNoFaster() {
    // PT2M is shorter than the five minutes certificates are backdated: due at each look.
    assertEquals(0, refused(new RenewalPace(nanos::get, Duration.ofMinutes(2)),
        Duration.ofSeconds(30), 10_000));
    assertEquals(10_000 - RenewalPace.BURST, refused(new RenewalPace(nanos::get,
        Duration.ofMinutes(2)), Duration.ofNanos(1), 10_000));
  }

  @Test
  void aWeeksLifetimeRenewsEveryFewDaysAndRefusesALoop() throws Exception {
    // Due at two thirds of seven days and five minutes: about every 4.7 days.
    assertEquals(0, refused(new RenewalPace(nanos::get, Duration.ofDays(7)),
        Duration.ofDays(4).plusHours(16), 1000));
    RenewalPace pace = new RenewalPace(nanos::get, Duration.ofDays(7));
    assertEquals(90, refused(pace, Duration.ofMillis(1), 100));
    nanos.addAndGet(Duration.ofHours(21).toNanos());
    pace.take("host/hv-01");
    assertThrows(CertificateException.class, () -> pace.take("host/hv-01"));
    pace.take("host/hv-02");
  }
}
