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
  /** A guest's smallest write here: a 4 KiB page. */
  public static final int MIN_WRITE = 4096;
  /** Its largest: the whole block. */
  public static final int MAX_WRITE = BLOCK;

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
    return write(cloudVmId, diskIndex, blocks, seed, spreadOver, BLOCK);
  }

  /**
   * As the other, each write {@code writeBytes} long (a power of two up to 64 KiB) at a random
   * place of its 64 KiB block aligned to its size: what a guest's small writes look like.
   */
  public int write(String cloudVmId, int diskIndex, int blocks, long seed, Duration spreadOver,
      int writeBytes) throws CloudException {
    if (writeBytes < MIN_WRITE || writeBytes > BLOCK || Integer.bitCount(writeBytes) != 1) {
      throw new CloudException(CloudException.Kind.INVALID_ARGUMENT, "a write of "
          + writeBytes + " bytes is not a power of two from " + MIN_WRITE + " to " + BLOCK);
    }
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
      writeBlocks(guest, diskIndex, count, available, seed, 0, writeBytes);
    } else {
      long pauseNanos = spreadOver.toNanos() / Math.max(1, count);
      background.execute(() -> {
        try {
          writeBlocks(guest, diskIndex, count, available, seed, pauseNanos, writeBytes);
        } catch (CloudException e) {
          // The VM stopped under the simulation: that is how phase 2 begins.
          log.info("simulated guest of " + cloudVmId + " stopped writing: " + e.getMessage());
        }
      });
    }
    return count;
  }

  private static void writeBlocks(SimulatedGuest guest, int disk, int count, long available,
      long seed, long pauseNanos, int writeBytes) throws CloudException {
    Random random = new Random(seed);
    BitSet written = new BitSet();
    byte[] data = new byte[writeBytes];
    while (written.cardinality() < count) {
      int block = (int) random.nextLong(available);
      if (written.get(block)) {
        continue;
      }
      written.set(block);
      random.nextBytes(data);
      // Whole blocks draw nothing more: a seed writes the blocks it always wrote.
      long within = writeBytes == BLOCK ? 0 : (long) random.nextInt(BLOCK / writeBytes)
          * writeBytes;
      guest.write(disk, (long) block * BLOCK + within, data);
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
