package io.failback.controller.lifecycle;

import static com.google.common.base.Preconditions.checkArgument;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.Duration;
import io.failback.proto.v1.JobProgress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;

/**
 * The one progress meter: turns successive counter samples of one disk's transfer into the
 * {@link JobProgress} a job reports, with the counters never below an earlier report, the rate
 * over a sliding window of the injected clock, and the ETA. {@link DiskTransfer} keeps one per
 * disk and transfer; a job's whole progress adds these up ({@link JobProgressTotals}).
 *
 * <p>The rate is of logical progress ({@code bytes_scanned}), not of bytes on the wire: a
 * delta sync that finds most blocks equal moves fast while sending little, and the ETA must
 * follow the work left, which is {@code bytes_total - bytes_scanned}. Thread-safe.
 */
public final class JobProgressMeter {
  /** Enough for a sample a second over a long window; older ones drop out first anyway. */
  private static final int MAX_SAMPLES = 1024;

  private record Sample(Instant at, long bytesScanned) {}

  private final Clock clock;
  private final java.time.Duration window;
  private final Deque<Sample> samples = new ArrayDeque<>();
  private JobProgress last = JobProgress.getDefaultInstance();

  /** A meter whose rate covers the last {@code window} of samples. */
  public JobProgressMeter(Clock clock, java.time.Duration window) {
    this.clock = requireNonNull(clock, "clock");
    checkArgument(!window.isNegative() && !window.isZero(), "window must be positive");
    this.window = window;
  }

  /**
   * Records {@code counters} at the clock's time and returns what to report: each counter at
   * least its previous value (a resumed sync restarts its own counters), with rate and ETA.
   */
  public synchronized JobProgress update(JobProgress counters) {
    JobProgress.Builder merged = JobProgress.newBuilder()
        .setBytesTotal(Math.max(last.getBytesTotal(), counters.getBytesTotal()))
        .setBytesScanned(Math.max(last.getBytesScanned(), counters.getBytesScanned()))
        .setBlocksScanned(Math.max(last.getBlocksScanned(), counters.getBlocksScanned()))
        .setBlocksEqual(Math.max(last.getBlocksEqual(), counters.getBlocksEqual()))
        .setBlocksZero(Math.max(last.getBlocksZero(), counters.getBlocksZero()))
        .setBlocksSent(Math.max(last.getBlocksSent(), counters.getBlocksSent()))
        .setBytesRead(Math.max(last.getBytesRead(), counters.getBytesRead()))
        .setBytesOnWire(Math.max(last.getBytesOnWire(), counters.getBytesOnWire()));
    Instant now = clock.instant();
    samples.addLast(new Sample(now, merged.getBytesScanned()));
    prune(now);
    double rate = rate(last.getBytesPerSecond());
    merged.setBytesPerSecond(rate);
    long remaining = Math.max(0, merged.getBytesTotal() - merged.getBytesScanned());
    // No ETA while the size is unknown or nothing has moved yet, rather than a wrong one.
    if (merged.getBytesTotal() > 0 && remaining == 0) {
      merged.setEta(Duration.getDefaultInstance());
    } else if (merged.getBytesTotal() > 0 && rate > 0) {
      merged.setEta(duration(remaining / rate));
    }
    last = merged.build();
    return last;
  }

  /** The latest report; all zeros before the first sample. */
  public synchronized JobProgress last() {
    return last;
  }

  /**
   * Drops samples older than the window, keeping the newest of them as the baseline so that a
   * pause longer than the window still yields a rate rather than none.
   */
  private void prune(Instant now) {
    Instant cutoff = now.minus(window);
    while (samples.size() > 1 && !second().at().isAfter(cutoff)) {
      samples.removeFirst();
    }
    while (samples.size() > MAX_SAMPLES) {
      samples.removeFirst();
    }
  }

  private Sample second() {
    Iterator<Sample> it = samples.iterator();
    it.next();
    return it.next();
  }

  /** Bytes per second between the oldest and newest sample; {@code previous} if no time passed. */
  private double rate(double previous) {
    Sample first = samples.peekFirst();
    Sample newest = samples.peekLast();
    long nanos = java.time.Duration.between(first.at(), newest.at()).toNanos();
    if (nanos <= 0) {
      return previous;
    }
    return (newest.bytesScanned() - first.bytesScanned()) * 1e9 / nanos;
  }

  private static Duration duration(double seconds) {
    long whole = (long) seconds;
    int nanos = (int) Math.round((seconds - whole) * 1e9);
    if (nanos >= 1_000_000_000) {
      whole++;
      nanos -= 1_000_000_000;
    }
    return Duration.newBuilder().setSeconds(whole).setNanos(nanos).build();
  }
}
