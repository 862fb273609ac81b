package io.failback.controller.bandwidth;

import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;

/** A clock that moves only when a bucket waits on it, or when a test moves it. */
final class FakeTime extends Clock implements TimeMeter, BlockingStrategy {
  private final Instant origin;
  private final ZoneId zone;
  private long nanos;

  FakeTime(Instant origin, ZoneId zone) {
    this.origin = origin;
    this.zone = zone;
  }

  @Override
  public synchronized long currentTimeNanos() {
    return nanos;
  }

  @Override
  public boolean isWallClockBased() {
    return false;
  }

  /** A bucket's wait: time passes instead. */
  @Override
  public synchronized void park(long waitNanos) {
    nanos += waitNanos;
  }

  synchronized void advance(long byNanos) {
    nanos += byNanos;
  }

  double seconds() {
    return currentTimeNanos() / 1e9;
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId other) {
    FakeTime self = this;
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return other;
      }

      @Override
      public Clock withZone(ZoneId again) {
        return self.withZone(again);
      }

      @Override
      public Instant instant() {
        return self.instant();
      }
    };
  }

  @Override
  public synchronized Instant instant() {
    return origin.plusNanos(nanos);
  }
}
