package io.failback.controller.cloud;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * Taking, persisting and releasing snapshots of a {@link LocalDirectoryCloud}, each at one instant
 * between the VM's writes (under its barrier write lock).
 */
final class Snapshots {
  private Snapshots() {}

  /**
   * Takes a snapshot of every disk of {@code vm} and starts tracking it.
   *
   * @param trackingOnly a tracking point, which keeps no bytes and has no views
   */
  static LocalSnapshot take(CloudDirectory directory, LocalVm vm, String id, Instant takenAt,
      boolean trackingOnly) throws IOException {
    List<LiveDisk> disks = new ArrayList<>();
    List<Long> sizes = new ArrayList<>();
    for (int i = 0; i < vm.diskCount(); i++) {
      disks.add(vm.disk(i));
      sizes.add(disks.get(i).device().size());
    }
    LocalSnapshot snapshot;
    try {
      snapshot = LocalSnapshot.create(directory.snapshotDir(id), id, vm.vm().id(), takenAt,
          sizes, trackingOnly);
    } catch (IOException | RuntimeException e) {
      directory.deleteQuietly(directory.snapshotDir(id));
      throw e;
    }
    Lock lock = vm.writeBarrier();
    lock.lock();
    try {
      // The snapshot's instant: no write is in flight, and every later one preserves first.
      for (int i = 0; i < disks.size(); i++) {
        disks.get(i).attach(snapshot.store(i));
      }
      // Vouched for under the lock: a write preserving before this would be forgotten.
      snapshot.vouch();
    } catch (IOException | RuntimeException e) {
      for (int i = 0; i < disks.size(); i++) {
        disks.get(i).detach(snapshot.store(i));
      }
      try {
        snapshot.delete();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    } finally {
      lock.unlock();
    }
    directory.add(snapshot);
    return snapshot;
  }

  /** Makes a snapshot's tracking state durable and vouches for it. */
  static void persist(LocalVm vm, LocalSnapshot snapshot) throws IOException {
    Lock lock = vm.writeBarrier();
    lock.lock();
    try {
      snapshot.persist();
    } finally {
      lock.unlock();
    }
  }

  /** Stops tracking a snapshot and deletes its files; later reads of its views fail. */
  static void release(CloudDirectory directory, LocalVm vm, LocalSnapshot snapshot)
      throws IOException {
    Lock lock = vm.writeBarrier();
    lock.lock();
    try {
      if (snapshot.tracking()) {
        for (int i = 0; i < snapshot.diskCount(); i++) {
          vm.disk(i).detach(snapshot.store(i));
        }
      }
      directory.remove(snapshot);
      snapshot.delete();
    } finally {
      lock.unlock();
    }
  }
}
