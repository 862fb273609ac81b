package io.failback.controller.pace;

import com.google.common.base.Ticker;
import io.github.bucket4j.TimeMeter;
import java.util.function.LongSupplier;

/**
 * A monotonic time in nanoseconds (System::nanoTime, or a test's fake) as the rate limiters
 * and caches that pace untrusted callers read it: never the wall clock, which an operator or
 * NTP may set back, and which a test's controller holds still.
 */
public final class MonotonicTime {
  private MonotonicTime() {}

  /** For bucket4j's buckets. */
  public static TimeMeter meter(LongSupplier nanos) {
    return new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return nanos.getAsLong();
      }

      @Override
      public boolean isWallClockBased() {
        return false;
      }
    };
  }

  /** For Guava's caches. */
  public static Ticker ticker(LongSupplier nanos) {
    return new Ticker() {
      @Override
      public long read() {
        return nanos.getAsLong();
      }
    };
  }
}
