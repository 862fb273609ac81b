package io.failback.controller.cloud;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import java.io.IOException;
import io.failback.controller.cloud.CloudVmSpec.DiskSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One VM of a {@link LocalDirectoryCloud} at run time: its record, its open disks, and the
 * barrier that orders disk writes against snapshots and shutdown.
 *
 * <p>Threading: every disk write and snapshot read holds the barrier's read lock; taking a
 * snapshot, releasing one, persisting tracking state and powering off take its write lock, so
 * each of those happens at one instant between writes. The record changes only under the
 * cloud's monitor.
 */
final class LocalVm {
  static final int VHDX_BLOCK_SIZE = 32 << 20;
  private static final int SECTOR = 512;

  private final Path dir;
  private final ReentrantReadWriteLock barrier = new ReentrantReadWriteLock();
  private final LiveDisk[] disks;
  private final Set<DiskHandle> handles = ConcurrentHashMap.newKeySet();
  private volatile CloudVm vm;

  LocalVm(Path dir, CloudVm vm) {
    this.dir = dir;
    this.vm = vm;
    this.disks = new LiveDisk[vm.disks().size()];
  }

  /**
   * Creates the VM's directory and empty disks, then its {@code vm.json}, last: a directory
   * without one is an interrupted create. On failure the devices are closed, the caller removes
   * the directory.
   */
  static LocalVm create(Path dir, String id, CloudVmSpec spec, Instant createdAt)
      throws IOException {
    List<CloudDisk> disks = new ArrayList<>();
    List<BlockDevice> devices = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      for (DiskSpec disk : spec.disks()) {
        String suffix = disk.format() == DiskFormat.VHDX ? ".vhdx" : ".raw";
        Path path = dir.resolve("disk-" + disks.size() + suffix);
        devices.add(
            disk.format() == DiskFormat.VHDX
                ? BlockDevices.createDynamicVhdx(path, disk.virtualSize(), VHDX_BLOCK_SIZE, SECTOR)
                : BlockDevices.createRawSparse(path, disk.virtualSize()));
        disks.add(new CloudDisk(disk.name(), path, disk.format(), disk.virtualSize()));
      }
      CloudVm vm = new CloudVm(id, spec.name(), spec.sourceVmId(), PowerState.OFF, disks,
          spec.nics(), createdAt, List.of(), spec.devices(), spec.guestFamily());
      CloudJson.write(dir.resolve(CloudJson.VM_FILE), CloudJson.toFile(vm));
      LocalVm local = new LocalVm(dir, vm);
      for (int i = 0; i < devices.size(); i++) {
        local.disks[i] = new LiveDisk(devices.get(i));
      }
      return local;
    } catch (IOException | RuntimeException e) {
      for (BlockDevice device : devices) {
        try {
          device.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  Path dir() {
    return dir;
  }

  CloudVm vm() {
    return vm;
  }

  /** Writes {@code next} to {@code vm.json}, then holds it: the file is the record. */
  void save(CloudVm next) throws IOException {
    CloudJson.write(dir.resolve(CloudJson.VM_FILE), CloudJson.toFile(next));
    vm = next;
  }

  Lock readBarrier() {
    return barrier.readLock();
  }

  Lock writeBarrier() {
    return barrier.writeLock();
  }

  int diskCount() {
    return disks.length;
  }

  /** Disk {@code index}, opened (writable, whatever the caller does with it) on first use. */
  synchronized LiveDisk disk(int index) throws IOException {
    if (disks[index] == null) {
      disks[index] = new LiveDisk(BlockDevices.open(vm.disks().get(index).path(), true));
    }
    return disks[index];
  }

  Set<DiskHandle> handles() {
    return handles;
  }

  boolean hasWritableHandle() {
    return handles.stream().anyMatch(DiskHandle::writable);
  }

  /** Flushes every open disk; the caller holds the barrier write lock. */
  synchronized void flush() throws IOException {
    for (LiveDisk disk : disks) {
      if (disk != null) {
        disk.device().flush();
      }
    }
  }

  /** Flushes (when asked) and closes every open disk; the caller holds the write lock. */
  synchronized void closeDisks(boolean flush) throws IOException {
    IOException failure = null;
    for (int i = 0; i < disks.length; i++) {
      if (disks[i] == null) {
        continue;
      }
      try (BlockDevice device = disks[i].device()) {
        if (flush) {
          device.flush();
        }
      } catch (IOException e) {
        failure = failure == null ? e : failure;
      }
      disks[i] = null;
    }
    if (failure != null) {
      throw failure;
    }
  }
}
