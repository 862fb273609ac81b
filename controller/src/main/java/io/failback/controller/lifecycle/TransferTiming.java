package io.failback.controller.lifecycle;

import io.failback.common.sync.SyncActivity;
import io.failback.controller.tuning.CompressionPolicy;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * What one transfer with the controller as the source took, split the way a prediction adds it
 * up again: a fixed cost (setting the sessions up before the lanes' first section, verifying and
 * reporting after their last acknowledgement), a checksum pass (the lanes' working span not
 * spent sending) and the sending. The link rate is measured on the sending alone, never over
 * hashing time.
 *
 * @param elapsedNanos the whole transfer
 * @param setupNanos from the start to the lanes' first section: the sessions' set-up
 * @param scannedBytes bytes of the disks a delta pass checksummed; 0 for other modes
 * @param referencePoint whether the agent made a reference point after writing, which the
 *     fixed cost then includes
 * @param tracked whether it sent only tracked changes (TRACKED), as phase 2 does
 * @param cpus how busy both machines' CPUs were meanwhile
 */
record TransferTiming(long elapsedNanos, long setupNanos, SyncActivity.Snapshot activity,
    long scannedBytes, boolean referencePoint, boolean tracked, BusyCpus cpus) {
  /** Less sent than this says too little about the link to be a rate. */
  static final long MIN_SENT_BYTES = 1 << 20;

  /** Without knowing how busy the CPUs were. */
  TransferTiming(long elapsedNanos, long setupNanos, SyncActivity.Snapshot activity,
      long scannedBytes, boolean referencePoint, boolean tracked) {
    this(elapsedNanos, setupNanos, activity, scannedBytes, referencePoint, tracked,
        BusyCpus.UNKNOWN);
  }

  /** Bytes per second while the lanes were sending. */
  OptionalDouble sendRate() {
    return activity.sentBytes() >= MIN_SENT_BYTES && activity.sendNanos() > 0
        ? OptionalDouble.of(activity.sentBytes() * 1e9 / activity.sendNanos())
        : OptionalDouble.empty();
  }

  /**
   * Whether the link set the pace of the sending: the lanes, added up, waited for it (its flow
   * control, or a bandwidth limit) at least half the sending time. Otherwise the lanes' reading,
   * hashing and compressing did, and the link is faster than {@link #sendRate}; so did the
   * target's, where its lanes seldom waited for a frame (a disk slower than the link), and so
   * did CPUs with nothing to spare on either side ({@link BusyCpus}).
   */
  boolean linkBound() {
    return link(0).linkBound();
  }

  /** The link as the sending met it at {@code bytesPerSecond} ({@link BusyCpus#measured}). */
  CompressionPolicy.Measured link(double bytesPerSecond) {
    boolean waitedForLink = activity.sendNanos() > 0
        && activity.linkWaitNanos() * 2 >= activity.sendNanos();
    return cpus.measured(bytesPerSecond, waitedForLink && !activity.targetHeldBack());
  }

  /**
   * Of a TRACKED transfer: bytes per second from the first block read to the last batch
   * durable on the target, which is what phase 2 moves at, its writes and flushes included.
   */
  OptionalDouble trackedRate() {
    return tracked && activity.sentBytes() >= MIN_SENT_BYTES && activity.activeNanos() > 0
        ? OptionalDouble.of(activity.sentBytes() * 1e9 / activity.activeNanos())
        : OptionalDouble.empty();
  }

  /**
   * Disk bytes per second of a checksum pass: the lanes' working span without the sending,
   * which includes waiting for the target's own hashing and writing, as the next pass will.
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

  /** The sessions' set-up: the part of the fixed cost every transfer with the host pays. */
  Duration setup() {
    return Duration.ofNanos(Math.min(setupNanos, elapsedNanos));
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "%.3f s: set-up %.3f s, lanes busy %.3f s"
        + " (sending %.3f s, %d bytes), after the last acknowledgement %.3f s",
        elapsedNanos / 1e9, setup().toNanos() / 1e9, activity.activeNanos() / 1e9,
        activity.sendNanos() / 1e9, activity.sentBytes(),
        (fixedCost().toNanos() - setup().toNanos()) / 1e9);
  }
}
