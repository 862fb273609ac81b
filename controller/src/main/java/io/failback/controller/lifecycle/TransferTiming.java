package io.failback.controller.lifecycle;

import io.failback.common.sync.SyncActivity;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * What one transfer with the controller as the source took, split the way a prediction adds it
 * up again: a fixed cost (setting the sessions up before the lanes' first section, verifying and
 * flushing after their last), a checksum pass (the lanes' working span not spent sending) and
 * the sending. The link rate is measured on the sending alone, never over hashing time.
 *
 * @param elapsedNanos the whole transfer
 * @param scannedBytes bytes of the disks a delta pass checksummed; 0 for other modes
 * @param referencePoint whether the agent made a reference point after writing, which the
 *     fixed cost then includes
 */
record TransferTiming(long elapsedNanos, SyncActivity.Snapshot activity, long scannedBytes,
    boolean referencePoint) {
  /** Less sent than this says too little about the link to be a rate. */
  static final long MIN_SENT_BYTES = 1 << 20;

  /** Bytes per second while the lanes were sending. */
  OptionalDouble sendRate() {
    return activity.sentBytes() >= MIN_SENT_BYTES && activity.sendNanos() > 0
        ? OptionalDouble.of(activity.sentBytes() * 1e9 / activity.sendNanos())
        : OptionalDouble.empty();
  }

  /**
   * Disk bytes per second of a checksum pass: the lanes' working span without the sending,
   * which includes waiting for the target's own hashing, as the next pass will.
   */
  OptionalDouble checksumRate() {
    long checksumming = activity.activeNanos() - activity.sendNanos();
    return scannedBytes > 0 && checksumming > 0
        ? OptionalDouble.of(scannedBytes * 1e9 / checksumming) : OptionalDouble.empty();
  }

  /** The transfer's time outside the lanes' working span; all of it when no lane worked. */
  Duration fixedCost() {
    return Duration.ofNanos(Math.max(0, elapsedNanos - activity.activeNanos()));
  }
}
