package io.failback.common.retry;

import com.google.common.base.Preconditions;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential back-off with full jitter around the nominal delay.
 *
 * <p>Jitter matters here: after a controller restart every agent of a site reconnects at once,
 * and identical delays would keep them arriving in lock-step.
 */
public final class Backoff {
  private final Duration initial;
  private final Duration max;
  private final double multiplier;
  private final double jitter;
  private final RandomGenerator random;
  private Duration nominal;

  /**
   * Creates a back-off.
   *
   * @param jitter fraction of the nominal delay added or removed at random, 0 to 1
   */
  public Backoff(Duration initial, Duration max, double multiplier, double jitter,
      RandomGenerator random) {
    Preconditions.checkArgument(!initial.isNegative() && !initial.isZero(),
        "initial back-off must be positive: %s", initial);
    Preconditions.checkArgument(max.compareTo(initial) >= 0,
        "max back-off %s is below the initial %s", max, initial);
    Preconditions.checkArgument(multiplier >= 1, "multiplier must be >= 1: %s", multiplier);
    Preconditions.checkArgument(jitter >= 0 && jitter <= 1, "jitter must be 0..1: %s", jitter);
    this.initial = initial;
    this.max = max;
    this.multiplier = multiplier;
    this.jitter = jitter;
    this.random = random;
    this.nominal = initial;
  }

  /** Agent defaults: 1 s doubling to 60 s, ±20 %. */
  public static Backoff agentDefault(RandomGenerator random) {
    return new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), 2.0, 0.2, random);
  }

  /** The delay before the next attempt; each call grows the nominal delay up to the max. */
  public synchronized Duration next() {
    long base = nominal.toMillis();
    long spread = (long) (base * jitter);
    long delay = spread == 0 ? base : base - spread + random.nextLong(2 * spread + 1);
    nominal = Duration.ofMillis(Math.min(max.toMillis(), (long) (base * multiplier)));
    return Duration.ofMillis(Math.max(1, delay));
  }

  /** Starts again from the initial delay, after a success. */
  public synchronized void reset() {
    nominal = initial;
  }
}
