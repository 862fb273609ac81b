package io.failback.common.sync;

/**
 * Paces the bytes a side of a sync moves over its links: {@link #take} blocks the lane's thread
 * until the bytes may go, so a bandwidth limit holds whichever end reads the disk.
 *
 * <p>The side that enforces a limit takes every frame it sends before sending it and every
 * frame it receives as it consumes it; a receiver that consumes slowly slows its peer through
 * the transport's flow control, so one side's throttle paces both directions.
 */
@FunctionalInterface
public interface Throttle {
  /** No limit. */
  Throttle NONE = bytes -> { };

  /** Blocks until {@code bytes} more may cross the link. */
  void take(long bytes) throws InterruptedException;

  /** The rate it holds the link to now, in bytes per second; empty for no limit. */
  default java.util.OptionalLong bytesPerSecond() {
    return java.util.OptionalLong.empty();
  }
}
