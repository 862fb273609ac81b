package io.failback.controller.cloud;

import io.failback.common.disk.BlockDevice;
import java.time.Instant;
import java.util.Optional;

/**
 * A handle on a point-in-time snapshot of all disks of one cloud VM.
 *
 * <p>Closing the handle closes its views and persists the tracking state; the snapshot itself
 * lives on (and keeps tracking) until {@link Cloud#releaseSnapshot}.
 */
public interface CloudSnapshot extends AutoCloseable {
  String id();

  String vmId();

  Instant takenAt();

  /** How many disks the VM had when the snapshot was taken. */
  int diskCount();

  /**
   * A read-only view of disk {@code index} as it was at {@link #takenAt()}, safe to read from
   * several threads while the VM writes; closing the view does not close the snapshot.
   */
  BlockDevice disk(int index) throws CloudException;

  /**
   * Indexes of the {@code blockSize}-byte blocks of disk {@code index} written between the
   * tracking point this snapshot was taken against and its instant (a cloud may add blocks
   * written later, never leave one out), ascending; empty when it was taken against none, or
   * that tracking was lost (QEMU killed, an unclean shutdown): callers then compare checksums.
   *
   * @param blockSize a power of two of at least 4096
   */
  default Optional<long[]> changedSince(int index, int blockSize)
      throws CloudException {
    return Optional.empty();
  }

  @Override
  void close() throws CloudException;
}
