package io.failback.controller.cloud;

import java.time.Duration;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIMULATION ONLY: writes random blocks into a running cloud VM's disk as its guest would, for
 * demos and tests; production clouds have real guests.
 */
public final class GuestSimulation implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GuestSimulation.class);
  private static final int BLOCK = 64 * 1024;

  private final Cloud cloud;
  private final ExecutorService background = Executors.newCachedThreadPool(r -> {
    Thread thread = new Thread(r, "guest-simulation");
    thread.setDaemon(true);
    return thread;
  });

  public GuestSimulation(Cloud cloud) {
    this.cloud = cloud;
  }

  /**
   * Overwrites {@code blocks} distinct random 64 KiB blocks of disk {@code diskIndex}; with a
   * positive {@code spreadOver} the writes run in the background, evenly over that time.
   */
  public int write(String cloudVmId, int diskIndex, int blocks, long seed, Duration spreadOver)
      throws CloudException {
    CloudVm vm = cloud.get(cloudVmId).orElseThrow(() -> new CloudException(
        CloudException.Kind.NOT_FOUND, "no cloud VM " + cloudVmId));
    if (diskIndex < 0 || diskIndex >= vm.disks().size()) {
      throw new CloudException(CloudException.Kind.INVALID_ARGUMENT, "cloud VM "
          + cloudVmId + " has no disk " + diskIndex);
    }
    long available = vm.disks().get(diskIndex).virtualSize() / BLOCK;
    int count = (int) Math.min(blocks, available);
    SimulatedGuest guest = cloud.guest(cloudVmId);
    if (spreadOver.isZero() || spreadOver.isNegative()) {
      writeBlocks(guest, diskIndex, count, available, seed, 0);
    } else {
      long pauseNanos = spreadOver.toNanos() / Math.max(1, count);
      background.execute(() -> {
        try {
          writeBlocks(guest, diskIndex, count, available, seed, pauseNanos);
        } catch (CloudException e) {
          // The VM stopped under the simulation: that is how phase 2 begins.
          log.info("simulated guest of " + cloudVmId + " stopped writing: " + e.getMessage());
        }
      });
    }
    return count;
  }

  private static void writeBlocks(SimulatedGuest guest, int disk, int count, long available,
      long seed, long pauseNanos) throws CloudException {
    Random random = new Random(seed);
    BitSet written = new BitSet();
    byte[] data = new byte[BLOCK];
    while (written.cardinality() < count) {
      int block = (int) random.nextLong(available);
      if (written.get(block)) {
        continue;
      }
      written.set(block);
      random.nextBytes(data);
      guest.write(disk, (long) block * BLOCK, data);
      if (pauseNanos > 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
      }
    }
  }

  @Override
  public void close() {
    background.shutdownNow();
  }
}
