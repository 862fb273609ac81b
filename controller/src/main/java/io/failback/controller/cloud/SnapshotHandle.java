package io.failback.controller.cloud;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** A {@link CloudSnapshot} handle of a {@link LocalDirectoryCloud}. */
final class SnapshotHandle implements CloudSnapshot {
  /** What closing a handle does to the snapshot it was on. */
  interface Closer {
    void persist(LocalSnapshot snapshot) throws CloudException;
  }

  private final LocalVm vm;
  private final LocalSnapshot snapshot;
  private final Closer closer;
  private final List<SnapshotView> views = new ArrayList<>();
  private boolean closed;

  SnapshotHandle(LocalVm vm, LocalSnapshot snapshot, Closer closer) {
    this.vm = vm;
    this.snapshot = snapshot;
    this.closer = closer;
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
