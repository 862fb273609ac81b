package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.MutableClock;
import io.failback.proto.v1.JobProgress;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JobProgressMeterTest {
  private static final long MIB = 1 << 20;

  private final MutableClock clock = new MutableClock(Instant.parse("2025-03-01T10:00:00Z"));
  private final JobProgressMeter meter = new JobProgressMeter(clock, Duration.ofSeconds(10));

  private static JobProgress scanned(long total, long scanned) {
    return JobProgress.newBuilder().setBytesTotal(total).setBytesScanned(scanned).build();
  }

  @Test
  void rateAndEtaFollowTheSamples() {
    JobProgress first = meter.update(scanned(1000 * MIB, 0));
    assertEquals(0, first.getBytesPerSecond());
    assertFalse(first.hasEta(), "no ETA before anything moved");

    clock.advance(Duration.ofSeconds(2));
    JobProgress second = meter.update(scanned(1000 * MIB, 200 * MIB));

    assertEquals(100 * MIB, second.getBytesPerSecond(), 1e-6);
    assertEquals(8, second.getEta().getSeconds());
    assertEquals(0, second.getEta().getNanos());
  }

  @Test
  void rateCoversOnlyTheWindow() {
    meter.update(scanned(10_000 * MIB, 0));
    // 100 MiB/s for 10 s, then 10 MiB/s for 20 s: the window must forget the fast start.
    for (int s = 1; s <= 10; s++) {
      clock.advance(Duration.ofSeconds(1));
      meter.update(scanned(10_000 * MIB, s * 100 * MIB));
    }
    JobProgress slow = null;
    for (int s = 1; s <= 20; s++) {
      clock.advance(Duration.ofSeconds(1));
      slow = meter.update(scanned(10_000 * MIB, 1000 * MIB + s * 10 * MIB));
    }
    assertEquals(10 * MIB, slow.getBytesPerSecond(), 1e-6);
    assertEquals((10_000 - 1200) / 10, slow.getEta().getSeconds());
  }

  @Test
  void pauseLongerThanTheWindowStillGivesARate() {
    meter.update(scanned(1000 * MIB, 0));
    clock.advance(Duration.ofSeconds(60));
    JobProgress progress = meter.update(scanned(1000 * MIB, 600 * MIB));
    assertEquals(10 * MIB, progress.getBytesPerSecond(), 1e-6);
  }

  @Test
  void countersNeverGoBackwardsAfterAResume() {
    meter.update(JobProgress.newBuilder().setBytesTotal(100).setBytesScanned(60)
        .setBlocksSent(6).setBytesOnWire(600).build());
    clock.advance(Duration.ofSeconds(1));
    // A resumed session starts its own counters from zero.
    JobProgress after = meter.update(JobProgress.newBuilder().setBytesTotal(100)
        .setBytesScanned(10).setBlocksSent(1).setBytesOnWire(100).build());

    assertEquals(60, after.getBytesScanned());
    assertEquals(6, after.getBlocksSent());
    assertEquals(600, after.getBytesOnWire());
    assertEquals(after, meter.last());
  }

  @Test
  void finishedTaskHasZeroEtaAndUnknownSizeHasNone() {
    meter.update(scanned(100, 0));
    clock.advance(Duration.ofSeconds(1));
    JobProgress done = meter.update(scanned(100, 100));
    assertTrue(done.hasEta());
    assertEquals(0, done.getEta().getSeconds());

    JobProgressMeter unknown = new JobProgressMeter(clock, Duration.ofSeconds(10));
    unknown.update(scanned(0, 0));
    clock.advance(Duration.ofSeconds(1));
    assertFalse(unknown.update(scanned(0, 50)).hasEta());
  }

  @Test
  void noTimePassingInventsNoRate() {
    meter.update(scanned(1000, 0));
    JobProgress sameInstant = meter.update(scanned(1000, 100));
    assertEquals(0, sameInstant.getBytesPerSecond());
    assertFalse(sameInstant.hasEta());

    clock.advance(Duration.ofSeconds(1));
    assertEquals(150, meter.update(scanned(1000, 150)).getBytesPerSecond(), 1e-9);
    assertThrows(IllegalArgumentException.class,
        () -> new JobProgressMeter(clock, Duration.ZERO));
  }
}
