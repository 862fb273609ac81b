package io.failback.controller.lifecycle;

import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.StoragePath;
import java.util.Locale;
import java.util.Optional;

/**
 * The space a failback's undo journals need beside the on-prem disks, against what the host
 * has free there: a failback that could not journal is refused by the pre-flight, before it
 * writes anything (the agent would also fail it at the first region it cannot preserve, and
 * roll back what it wrote).
 */
final class UndoSpace {
  /** Record header per 64 KiB region (UndoFormat on the agent). */
  private static final double OVERHEAD = 1 + 40.0 / (64 * 1024);

  private final LifecycleContext context;
  private final Preflight.Problems problems;
  private long bytes;

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
    bytes += need;
    String disk = failback.onPrem().getDisks(0).getPath();
    Optional<StoragePath> volume = context.hosts().inventory(failback.host())
        .flatMap(inventory -> holding(inventory, disk));
    if (volume.isPresent() && volume.get().getFreeBytes() < need) {
      problems.add(failback.item().getVmId(), "undo_space", String.format(Locale.ROOT,
          "host %s has %d bytes free at %s; the undo journals that let this failback be"
              + " rolled back need up to %d beside the disks of %s", failback.host(),
          volume.get().getFreeBytes(), volume.get().getPath(), need,
          failback.item().getVmName()));
    }
  }

  /** Total over the checked failbacks. */
  long bytes() {
    return bytes;
  }

  /** The storage path with the longest prefix of {@code disk}: where its journal goes. */
  private static Optional<StoragePath> holding(HostInventory inventory, String disk) {
    String lower = disk.toLowerCase(Locale.ROOT);
    return inventory.getStoragePathsList().stream()
        .filter(p -> lower.startsWith(p.getPath().toLowerCase(Locale.ROOT)))
        .max((a, b) -> Integer.compare(a.getPath().length(), b.getPath().length()));
  }
}
