package io.failback.controller.cloud;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A {@link CloudSnapshot} handle of a {@link LocalDirectoryCloud}. */
final class SnapshotHandle implements CloudSnapshot {
  /** What closing a handle does to the snapshot it was on. */
  interface Closer {
    void persist(LocalSnapshot snapshot) throws CloudException;
  }

  private final LocalVm vm;
  private final LocalSnapshot snapshot;
  private final Closer closer;
  /** The tracking point the snapshot was taken against, or null. */
  private final LocalSnapshot since;
  private final List<SnapshotView> views = new ArrayList<>();
  private boolean closed;

  SnapshotHandle(LocalVm vm, LocalSnapshot snapshot, Closer closer, LocalSnapshot since) {
    this.vm = vm;
    this.snapshot = snapshot;
    this.closer = closer;
    this.since = since;
  }

  @Override
  public String id() {
    return snapshot.id();
  }

  @Override
  public String vmId() {
    return snapshot.vmId();
  }

  @Override
  public Instant takenAt() {
    return snapshot.takenAt();
  }

  @Override
  public int diskCount() {
    return snapshot.diskCount();
  }

  @Override
  public synchronized SnapshotView disk(int index) throws CloudException {
    if (closed || snapshot.released()) {
      throw CloudException.precondition(
          "snapshot %s of cloud VM %s is %s", id(), vm.vm().label(),
          closed ? "closed: open it again" : "released");
    }
    if (index < 0 || index >= snapshot.diskCount()) {
      throw CloudException.invalid(
          "snapshot %s of cloud VM %s has %d disks; there is no disk %d",
          id(), vm.vm().label(), snapshot.diskCount(), index);
    }
    try {
      SnapshotView view = new SnapshotView(vm, snapshot, index, vm.disk(index));
      views.add(view);
      return view;
    } catch (IOException e) {
      throw CloudException.io(e, "cannot open disk %d of cloud VM %s", index, vm.vm().label());
    }
  }

  @Override
  public Optional<long[]> changedSince(int index, int blockSize) throws CloudException {
    if (!ChangedBlocks.isValidBlockSize(blockSize)) {
      throw CloudException.invalid("block size %d is not a power of two of at least %d",
          blockSize, ChangedBlocks.MIN_BLOCK_SIZE);
    }
    if (index < 0 || index >= snapshot.diskCount()) {
      throw CloudException.invalid("snapshot %s of cloud VM %s has %d disks; there is no disk"
          + " %d", id(), vm.vm().label(), snapshot.diskCount(), index);
    }
    if (since == null || since.released() || !since.tracking()
        || since.diskCount() != snapshot.diskCount()) {
      return Optional.empty();
    }
    return Optional.of(ChangedBlocks.of(since.store(index), blockSize));
  }

  /** Closes the views and persists the tracking state, keeping the snapshot. */
  @Override
  public void close() throws CloudException {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      views.forEach(SnapshotView::close);
    }
    closer.persist(snapshot);
  }
}
