package io.failback.controller.cloud;

/**
 * SIMULATION, for demos and tests only: the guest OS of a RUNNING cloud VM writing to its disks.
 *
 * <p>Every write fails with FAILED_PRECONDITION once the VM is shut down.
 */
public interface SimulatedGuest {
  /** Writes {@code data} at {@code offset}; both must be multiples of 512 inside the disk. */
  void write(int diskIndex, long offset, byte[] data) throws CloudException;

  /**
   * Writes {@code extents} random 4 KiB-aligned extents of random bytes, chosen by {@code seed}
   * (the same seed always writes the same), and returns how many bytes it wrote.
   */
  long scribble(int diskIndex, int extents, long seed) throws CloudException;
}
