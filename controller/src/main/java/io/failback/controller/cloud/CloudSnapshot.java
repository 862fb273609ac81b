package io.failback.controller.cloud;

import io.failback.common.disk.BlockDevice;
import java.time.Instant;

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

  @Override
  void close() throws CloudException;
}
