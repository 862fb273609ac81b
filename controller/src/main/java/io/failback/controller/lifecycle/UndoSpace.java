package io.failback.controller.lifecycle;

import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.StoragePath;
import io.failback.proto.v1.VirtualDisk;
import java.util.Locale;
import java.util.Optional;

/**
 * The space a failback needs beside the on-prem disks, against what the host has free there:
 * its undo journals, and the growth of dynamic VHDX disks whose writes allocate new blocks. A
 * failback that could not journal or write is refused by the pre-flight, before it writes
 * anything (the agent would also fail it at the first region it cannot preserve or write, and
 * roll back what it wrote).
 */
final class UndoSpace {
  /** Record header per 64 KiB region (UndoFormat on the agent). */
  private static final double OVERHEAD = 1 + 40.0 / (64 * 1024);
  private static final long REGION = 64 * 1024;

  private final LifecycleContext context;
  private final Preflight.Problems problems;
  private long bytes;
  private long growth;

  UndoSpace(LifecycleContext context, Preflight.Problems problems) {
    this.context = context;
    this.problems = problems;
  }

  /**
   * Checks one failback that overwrites up to {@code overwritten} bytes of its on-prem disks;
   * nothing to journal for a VM that is created anew.
   */
  void check(Preflight.Failback failback, long overwritten) throws LifecycleException {
    if (failback.onPrem() == null || failback.onPrem().getDisksCount() == 0) {
      return;
    }
    long need = (long) Math.ceil(overwritten * OVERHEAD);
    long grows = failback.onPrem().getDisksList().stream()
        .mapToLong(disk -> growth(disk, overwritten)).sum();
    bytes += need;
    growth += grows;
    String disk = failback.onPrem().getDisks(0).getPath();
    Optional<StoragePath> volume = context.hosts().inventory(failback.host())
        .flatMap(inventory -> holding(inventory, disk));
    if (volume.isEmpty()) {
      return;
    }
    long free = volume.get().getFreeBytes();
    if (free < need) {
      problems.add(failback.item().getVmId(), "undo_space", String.format(Locale.ROOT,
          "host %s has %d bytes free at %s; the undo journals that let this failback be"
              + " rolled back need up to %d beside the disks of %s", failback.host(),
          free, volume.get().getPath(), need, failback.item().getVmName()));
    } else if (free < need + grows) {
      problems.add(failback.item().getVmId(), "disk_space", String.format(Locale.ROOT,
          "host %s has %d bytes free at %s; this failback needs up to %d there: %d for the"
              + " undo journals and %d for the dynamic disks of %s to grow as its writes"
              + " allocate their blocks", failback.host(), free, volume.get().getPath(),
          need + grows, need, grows, failback.item().getVmName()));
    }
  }

  /**
   * How much a dynamic VHDX may grow when up to {@code overwritten} bytes land in it: each
   * 64 KiB region may allocate a block of its own, and no more than the disk has unallocated
   * (its virtual size beyond its file's size now, plus a block for the metadata the file
   * holds). Fixed disks and raw images do not grow.
   */
  static long growth(VirtualDisk disk, long overwritten) {
    if (disk.getType() != DiskType.DYNAMIC || disk.getFormat() != DiskFormat.VHDX) {
      return 0;
    }
    long block = Math.max(REGION, disk.getBlockSizeBytes());
    long regions = (overwritten + REGION - 1) / REGION;
    long unallocated = Math.max(0, disk.getVirtualSizeBytes() - disk.getFileSizeBytes()) + block;
    long spread = regions > Long.MAX_VALUE / block ? Long.MAX_VALUE : regions * block;
    return Math.min(Math.min(spread, unallocated), disk.getVirtualSizeBytes());
  }

  /** Total of the undo journals over the checked failbacks. */
  long bytes() {
    return bytes;
  }

  /** Total growth of dynamic disks over the checked failbacks. */
  long growth() {
    return growth;
  }

  /** The storage path with the longest prefix of {@code disk}: where its journal goes. */
  private static Optional<StoragePath> holding(HostInventory inventory, String disk) {
    String lower = disk.toLowerCase(Locale.ROOT);
    return inventory.getStoragePathsList().stream()
        .filter(p -> lower.startsWith(p.getPath().toLowerCase(Locale.ROOT)))
        .max((a, b) -> Integer.compare(a.getPath().length(), b.getPath().length()));
  }
}
