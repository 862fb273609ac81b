package io.failback.controller.cloud.kvm;

import io.failback.common.disk.BlockDevice;
import io.failback.common.nbd.NbdBlockDevice;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudSnapshot;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A handle on a KVM cloud snapshot: one read-only NBD view per disk (of the pull-mode backup of
 * a running VM, or of the disks of an OFF one). Closing it ends the views (and the backup job)
 * but keeps the checkpoint, which goes on tracking writes until released.
 */
final class KvmSnapshot implements CloudSnapshot {
  /** What closing the handle releases besides the views: the backup job. */
  interface Ending {
    void end() throws CloudException;
  }

  private final String id;
  private final String vmId;
  private final Instant takenAt;
  private final List<NbdBlockDevice> views;
  private final Ending ending;
  /** Per view, its export's metadata context of the writes since a tracking point; or empty. */
  private final List<String> changedContexts;
  private boolean closed;

  /** @param changedContexts empty when the snapshot was taken against no tracking point */
  KvmSnapshot(String id, String vmId, Instant takenAt, List<NbdBlockDevice> views,
      Ending ending, List<String> changedContexts) {
    this.id = id;
    this.vmId = vmId;
    this.takenAt = takenAt;
    this.views = List.copyOf(views);
    this.ending = ending;
    this.changedContexts = List.copyOf(changedContexts);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String vmId() {
    return vmId;
  }

  @Override
  public Instant takenAt() {
    return takenAt;
  }

  @Override
  public int diskCount() {
    return views.size();
  }

  /** The view itself: it is shared by the handle's readers, and closing it is the handle's. */
  @Override
  public synchronized BlockDevice disk(int index) throws CloudException {
    if (closed) {
      throw CloudException.precondition("snapshot %s of cloud VM %s is closed", id, vmId);
    }
    if (index < 0 || index >= views.size()) {
      throw CloudException.invalid("snapshot %s of cloud VM %s has %d disks; there is no disk"
          + " %d", id, vmId, views.size(), index);
    }
    return new UnclosableView(views.get(index));
  }

  /** The incremental backup's dirty bitmap of the disk, read through NBD block status. */
  @Override
  public synchronized Optional<long[]> changedSince(int index, int blockSize)
      throws CloudException {
    DirtyBlocks.checkBlockSize(blockSize);
    disk(index); // refuses a closed handle, or a disk it has not
    if (changedContexts.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(DirtyBlocks.read(views.get(index).client(),
          changedContexts.get(index), blockSize));
    } catch (IOException e) {
      throw CloudException.io(e, "cannot read the changes of disk %d of cloud VM %s before"
          + " snapshot %s", index, vmId, id);
    }
  }

  synchronized boolean closed() {
    return closed;
  }

  @Override
  public void close() throws CloudException {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    for (NbdBlockDevice view : views) {
      try {
        view.close();
      } catch (IOException e) {
        // The export ends with the job below either way.
      }
    }
    ending.end();
  }
}
