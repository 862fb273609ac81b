package io.failback.controller.cloud;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.Lock;

/** SIMULATION: the guest of a RUNNING VM of a {@link LocalDirectoryCloud} writing its disks. */
final class LocalGuest implements SimulatedGuest {
  private static final int SECTOR = 512;
  private static final int PAGE = 4096;
  private static final int MAX_EXTENT_PAGES = 32;

  /** One write of {@link #scribble}. */
  record Extent(long offset, int length) {}

  private final LocalVm vm;

  LocalGuest(LocalVm vm) {
    this.vm = vm;
  }

  @Override
  public void write(int diskIndex, long offset, byte[] data) throws CloudException {
    checkDisk(diskIndex);
    long size = vm.vm().disks().get(diskIndex).virtualSize();
    if (offset % SECTOR != 0 || data.length % SECTOR != 0) {
      throw CloudException.invalid(
          "guest write to disk %d of cloud VM %s: offset %d and length %d must be multiples of"
              + " %d", diskIndex, vm.vm().label(), offset, data.length, SECTOR);
    }
    if (offset < 0 || offset > size - data.length) {
      throw CloudException.invalid(
          "guest write to disk %d of cloud VM %s: [%d, %d + %d) lies outside the disk of %d"
              + " bytes", diskIndex, vm.vm().label(), offset, offset, data.length, size);
    }
    Lock lock = vm.readBarrier();
    lock.lock();
    try {
      // Under the barrier: once shutdown has taken it, no guest write can still land.
      if (vm.vm().state() != PowerState.RUNNING) {
        throw CloudException.precondition(
            "cloud VM %s is %s: only a RUNNING VM's guest writes to its disks",
            vm.vm().label(), vm.vm().state());
      }
      vm.disk(diskIndex).write(offset, ByteBuffer.wrap(data));
    } catch (IOException e) {
      throw CloudException.io(e, "guest write to disk %d of cloud VM %s failed", diskIndex,
          vm.vm().label());
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long scribble(int diskIndex, int extents, long seed) throws CloudException {
    checkDisk(diskIndex);
    long size = vm.vm().disks().get(diskIndex).virtualSize();
    Random data = new Random(~seed);
    long written = 0;
    for (Extent extent : plan(size, extents, seed)) {
      byte[] bytes = new byte[extent.length()];
      data.nextBytes(bytes);
      write(diskIndex, extent.offset(), bytes);
      written += bytes.length;
    }
    return written;
  }

  /**
   * The extents {@link #scribble} writes for a disk of {@code size} bytes: 4 KiB-aligned, 4 to
   * 128 KiB long (so some cross 64 KiB chunk boundaries), possibly overlapping.
   */
  static List<Extent> plan(long size, int extents, long seed) {
    Random random = new Random(seed);
    long pages = size / PAGE;
    List<Extent> plan = new ArrayList<>(extents);
    for (int i = 0; i < extents; i++) {
      long page = (long) (random.nextDouble() * pages);
      int length = (int) Math.min(1 + random.nextInt(MAX_EXTENT_PAGES), pages - page);
      plan.add(new Extent(page * PAGE, length * PAGE));
    }
    return plan;
  }

  private void checkDisk(int diskIndex) throws CloudException {
    int disks = vm.vm().disks().size();
    if (diskIndex < 0 || diskIndex >= disks) {
      throw CloudException.invalid(
          "cloud VM %s has %d disks; there is no disk %d", vm.vm().label(), disks, diskIndex);
    }
  }
}
