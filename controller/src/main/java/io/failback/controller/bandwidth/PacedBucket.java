package io.failback.controller.bandwidth;

import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The token bucket of one scope (global, a host, a plan or a job), in bytes: every lane under
 * the scope takes from it, so the scope's lanes together keep to its rate.
 *
 * <p>The bucket holds half a second of the rate (at least 256 KiB, more than one frame): over
 * a minute that burst is under 1 % of what the rate lets through.
 */
public final class PacedBucket {
  private static final long MIN_BURST_BYTES = 256 * 1024;

  private final TimeMeter time;
  private final BlockingStrategy blocking;
  private final LongAdder taken = new LongAdder();
  /** Null while unlimited. */
  private volatile Bucket bucket;
  private OptionalLong rate = OptionalLong.empty();

  PacedBucket(TimeMeter time, BlockingStrategy blocking) {
    this.time = time;
    this.blocking = blocking;
  }

  /** A bucket of its own at {@code bytesPerSecond}, on the wall clock, its waits parked. */
  public static PacedBucket atRate(long bytesPerSecond) {
    PacedBucket bucket = new PacedBucket(TimeMeter.SYSTEM_NANOTIME, BlockingStrategy.PARKING);
    bucket.setRate(OptionalLong.of(bytesPerSecond));
    return bucket;
  }

  /** Sets the rate in bytes per second (empty: none); lanes waiting now feel it next frame. */
  synchronized void setRate(OptionalLong bytesPerSecond) {
    if (bytesPerSecond.equals(rate)) {
      return;
    }
    rate = bytesPerSecond;
    if (bytesPerSecond.isEmpty()) {
      bucket = null;
      return;
    }
    BucketConfiguration configuration = configuration(bytesPerSecond.getAsLong());
    if (bucket == null) {
      bucket = Bucket.builder().addLimit(configuration.getBandwidths()[0])
          .withCustomTimePrecision(time).build();
    } else {
      // What was borrowed at the old rate stays owed: a lowered limit holds from now on.
      bucket.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS);
    }
  }

  /** Blocks until {@code bytes} fit the rate; counts them either way. */
  public void take(long bytes) throws InterruptedException {
    taken.add(bytes);
    Bucket current = bucket;
    if (current != null) {
      current.asBlocking().consume(bytes, blocking);
    }
  }

  /** Bytes taken since the bucket was made, limited or not. */
  long taken() {
    return taken.sum();
  }

  private static BucketConfiguration configuration(long bytesPerSecond) {
    long burst = Math.max(MIN_BURST_BYTES, bytesPerSecond / 2);
    return BucketConfiguration.builder().addLimit(limit -> limit.capacity(burst)
        .refillGreedy(bytesPerSecond, Duration.ofSeconds(1))).build();
  }
}
