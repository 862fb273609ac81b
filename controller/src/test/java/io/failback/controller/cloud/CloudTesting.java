package io.failback.controller.cloud;

import static io.failback.controller.cloud.ChunkStore.CHUNK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.failback.common.disk.BlockDevice;
import io.failback.controller.cloud.CloudVmSpec.DiskSpec;
import io.failback.controller.cloud.CloudVmSpec.NicSpec;
import io.failback.controller.cloud.LocalGuest.Extent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/** Helpers for cloud tests on real, small, sparse disks. */
final class CloudTesting {
  static final int KIB = 1024;
  static final int MIB = 1024 * KIB;

  private CloudTesting() {}

  /** A VM spec with one disk per size, all in {@code format}, and one NIC. */
  static CloudVmSpec spec(String name, DiskFormat format, long... sizes) {
    List<DiskSpec> disks = new ArrayList<>();
    for (long size : sizes) {
      disks.add(new DiskSpec("disk" + disks.size(), format, size));
    }
    return new CloudVmSpec(name, "onprem-" + name, disks, List.of(new NicSpec("eth0", "LAN")));
  }

  /** Every byte of a device (test disks are small). */
  static byte[] readAll(BlockDevice device) throws IOException {
    ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(device.size()));
    for (long offset = 0; offset < device.size(); offset += MIB) {
      int length = (int) Math.min(MIB, device.size() - offset);
      device.read(offset, all.duplicate().position((int) offset).limit((int) offset + length));
    }
    return all.array();
  }

  /** Every byte of a disk of a cloud VM, read through a read-only handle. */
  static byte[] readDisk(Cloud cloud, String vmId, int disk) throws Exception {
    try (BlockDevice device = cloud.openDisk(vmId, disk, false)) {
      return readAll(device);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Writes the extents of {@code LocalGuest.plan(size, count, seed)} with random bytes through
   * the guest and applies them to {@code expected} too; returns the extents.
   */
  static List<Extent> guestWrites(SimulatedGuest guest, int disk, byte[] expected, int count,
      long seed) throws CloudException {
    List<Extent> extents = LocalGuest.plan(expected.length, count, seed);
    Random data = new Random(seed * 31 + 7);
    for (Extent extent : extents) {
      byte[] bytes = new byte[extent.length()];
      data.nextBytes(bytes);
      guest.write(disk, extent.offset(), bytes);
      System.arraycopy(bytes, 0, expected, (int) extent.offset(), bytes.length);
    }
    return extents;
  }

  /**
   * The blocks {@code changedBlocks} must report for these extents: every 64 KiB chunk an extent
   * touches changed, and a block changed when it overlaps a changed chunk.
   */
  static long[] expectedBlocks(List<Extent> extents, long diskSize, int blockSize) {
    TreeSet<Long> blocks = new TreeSet<>();
    long blockCount = (diskSize + blockSize - 1) / blockSize;
    for (Extent extent : extents) {
      long first = extent.offset() / CHUNK;
      long last = (extent.offset() + extent.length() - 1) / CHUNK;
      for (long chunk = first; chunk <= last; chunk++) {
        long start = chunk * CHUNK / blockSize;
        long end = Math.min(blockCount, ((chunk + 1) * CHUNK + blockSize - 1) / blockSize);
        for (long block = start; block < end; block++) {
          blocks.add(block);
        }
      }
    }
    return blocks.stream().mapToLong(Long::longValue).toArray();
  }

  /** Asserts {@code qemu-img check} finds no errors in a VHDX file; fails when it is missing. */
  static void qemuCheck(Path vhdx) throws IOException, InterruptedException {
    Process process;
    try {
      process =
          new ProcessBuilder("qemu-img", "check", "-f", "vhdx", vhdx.toString())
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      // Failing, not skipping: without the independent oracle the test proves nothing.
      fail("qemu-img is not on PATH: install qemu-utils (apt-get install -y qemu-utils)", e);
      return;
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "qemu-img check did not finish");
    assertEquals(0, process.exitValue(), () -> "qemu-img check " + vhdx + ":\n" + output);
    assertTrue(output.contains("No errors were found on the image."), output);
  }
}
