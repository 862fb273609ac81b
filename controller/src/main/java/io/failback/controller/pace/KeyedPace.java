package io.failback.controller.pace;

import com.google.common.base.Ticker;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;

/**
 * A rate limit per key (a host, an identity, a network address): {@code burst} at once, then
 * one per {@code interval}, read on a monotonic time (System::nanoTime, or a test's fake),
 * never the wall clock, which an operator or NTP may set back and a test's controller holds
 * still. It also remembers which keys it refused since they last had room, so that a caller
 * refused in a loop is logged once. At most {@code keys} keys are kept, the least recently
 * seen forgotten first; a key untouched for burst × interval is full again anyway, so
 * forgetting it changes nothing. Thread-safe.
 */
public final class KeyedPace {
  private final int burst;
  private final Duration interval;
  private final TimeMeter time;
  private final Cache<String, Bucket> buckets;
  private final Cache<String, Boolean> refusing;

  public KeyedPace(LongSupplier nanos, int burst, Duration interval, int keys) {
    this.burst = burst;
    this.interval = interval;
    this.time = new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return nanos.getAsLong();
      }

      @Override
      public boolean isWallClockBased() {
        return false;
      }
    };
    Ticker ticker = new Ticker() {
      @Override
      public long read() {
        return nanos.getAsLong();
      }
    };
    Duration refilled = interval.multipliedBy(burst);
    this.buckets = CacheBuilder.newBuilder().maximumSize(keys).ticker(ticker)
        .expireAfterAccess(refilled).build();
    this.refusing = CacheBuilder.newBuilder().maximumSize(keys).ticker(ticker)
        .expireAfterAccess(refilled).build();
  }

  /** Takes one of {@code key}'s; false, taking none, when it has none left. */
  public synchronized boolean tryTake(String key) {
    if (bucket(key).tryConsume(1)) {
      refusing.invalidate(key);
      return true;
    }
    return false;
  }

  /** Whether {@code key} has one left, taking none. */
  public synchronized boolean hasRoom(String key) {
    return bucket(key).getAvailableTokens() > 0;
  }

  /** Whether this refusal of {@code key} is its first since it last had room: log it then. */
  public synchronized boolean firstRefusal(String key) {
    return refusing.asMap().putIfAbsent(key, Boolean.TRUE) == null;
  }

  private Bucket bucket(String key) {
    try {
      return buckets.get(key, () -> Bucket.builder()
          .addLimit(limit -> limit.capacity(burst).refillGreedy(1, interval))
          .withCustomTimePrecision(time).build());
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }
}
