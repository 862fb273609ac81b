package io.failback.common.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proof's reads ({@link BlockDevice#readUncached}) return the same bytes as plain reads, at
 * sector-aligned offsets that are not aligned to the file system's block, on raw and VHDX
 * disks; they come from the storage, not the page cache (fincore, the kernel's own count of
 * cached pages, stays at zero). A raw file's whole-block writes go around the cache too, a
 * partial block's through it, and reads see the last of either.
 */
class UncachedIoTest {
  private static final int MIB = DiskTesting.MIB;

  @TempDir Path dir;

  @Test
  void rawAndVhdxReadTheSameBytesAroundTheCacheAtSectorOffsets() throws Exception {
    Path raw = dir.resolve("disk.raw");
    Files.write(raw, new byte[0]);
    try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
      file.setLength(8L * MIB + 512); // not a multiple of the file system's block
    }
    Path vhdx = dir.resolve("disk.vhdx");
    VhdxCreator.createDynamic(vhdx, 8L * MIB, MIB, 512);
    byte[] data = new byte[3 * MIB];
    new Random(7).nextBytes(data);
    // Where the test folder's file system has no direct I/O the reads fall back, and say so.
    boolean directIo = directIo(raw);
    for (Path path : new Path[] {raw, vhdx}) {
      try (BlockDevice device = BlockDevices.open(path, true)) {
        DiskTesting.write(device, 512, data);
        device.flush();
        for (long offset : new long[] {0, 512, 4096 + 1536, MIB - 512, 2L * MIB + 3584}) {
          for (int length : new int[] {512, 65536, 2 * MIB}) {
            ByteBuffer around = ByteBuffer.allocate(length);
            assertEquals(directIo, device.readUncached(offset, around), path.toString());
            assertArrayEquals(DiskTesting.read(device, offset, length), around.array(),
                path + " at " + offset + "+" + length);
          }
        }
        if (path.equals(raw)) {
          ByteBuffer tail = ByteBuffer.allocate(1024);
          assertEquals(directIo, device.readUncached(8L * MIB - 512, tail), "unaligned end");
          assertArrayEquals(DiskTesting.read(device, 8L * MIB - 512, 1024), tail.array());
        }
      }
    }
  }

  @Test
  void theBytesComeFromTheStorageNotThePageCache() throws Exception {
    Path raw = dir.resolve("cold.raw");
    byte[] data = new byte[4 * MIB];
    new Random(8).nextBytes(data);
    Files.write(raw, data);
    run("sync");
    assumeTrue(directIo(raw), "no direct I/O on the test folder's file system");
    try (BlockDevice device = BlockDevices.open(raw, false)) {
      // After the open, which reads the file's start to tell its format.
      run("dd", "if=" + raw, "iflag=nocache", "count=0", "status=none");
      assumeTrue(cachedBytes(raw) == 0, "this kernel kept the file cached; nothing to tell");
      ByteBuffer around = ByteBuffer.allocate(data.length);
      assertTrue(device.readUncached(0, around));
      assertArrayEquals(data, around.array());
      assertEquals(0, cachedBytes(raw), "the proof's read filled the page cache");
      DiskTesting.read(device, 0, data.length);
      assertTrue(cachedBytes(raw) > 0, "a plain read is cached: the check above can fail");
    }
  }

  @Test
  void wholeBlockWritesGoAroundThePageCacheAndPartialOnesThroughIt() throws Exception {
    Path raw = dir.resolve("fresh.raw");
    try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
      file.setLength(8L * MIB);
    }
    assumeTrue(directIo(raw), "no direct I/O on the test folder's file system");
    byte[] data = new byte[4 * MIB];
    new Random(9).nextBytes(data);
    try (BlockDevice device = BlockDevices.open(raw, true)) {
      run("dd", "if=" + raw, "iflag=nocache", "count=0", "status=none");
      assumeTrue(cachedBytes(raw) == 0, "this kernel kept the file cached; nothing to tell");
      DiskTesting.write(device, MIB, data);
      assertEquals(0, cachedBytes(raw), "a copy's whole blocks filled the host's page cache");
      byte[] sector = DiskTesting.filled(512, 0x5a);
      DiskTesting.write(device, MIB + 512, sector);
      assertTrue(cachedBytes(raw) > 0, "a partial block is written through the cache");
      System.arraycopy(sector, 0, data, 512, 512);
      assertArrayEquals(data, DiskTesting.read(device, MIB, data.length));
      // A whole block over the cached one: the cache must not keep the older bytes.
      byte[] block = DiskTesting.filled(65536, 0x3c);
      DiskTesting.write(device, MIB, block);
      System.arraycopy(block, 0, data, 0, block.length);
      assertArrayEquals(data, DiskTesting.read(device, MIB, data.length));
      device.flush();
    }
    byte[] onDisk = java.util.Arrays.copyOfRange(Files.readAllBytes(raw), MIB, MIB + data.length);
    assertArrayEquals(data, onDisk);
  }

  @Test
  void aChecksumPassesBlocksAreWrittenThroughThePageCache() throws Exception {
    Path raw = dir.resolve("scanned.raw");
    byte[] before = new byte[8 * MIB];
    new Random(10).nextBytes(before);
    try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(raw,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
      DeviceIo.writeFully(file, java.nio.ByteBuffer.wrap(before), 0);
      file.force(true); // clean pages, which the kernel can then drop
    }
    assumeTrue(directIo(raw), "no direct I/O on the test folder's file system");
    byte[] block = DiskTesting.filled(65536, 0x21);
    try (BlockDevice device = BlockDevices.open(raw, true)) {
      run("dd", "if=" + raw, "iflag=nocache", "count=0", "status=none");
      assumeTrue(cachedBytes(raw) == 0, "this kernel kept the file cached; nothing to tell");
      device.writeThroughCache(3L * MIB, java.nio.ByteBuffer.wrap(block));
      assertTrue(cachedBytes(raw) >= block.length, "a scanned block went around the cache");
      assertArrayEquals(block, DiskTesting.read(device, 3L * MIB, block.length));
      device.flush();
    }
    System.arraycopy(block, 0, before, 3 * MIB, block.length);
    assertArrayEquals(before, Files.readAllBytes(raw));
  }

  private static boolean directIo(Path file) {
    try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
        java.nio.file.StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static long cachedBytes(Path file) throws IOException, InterruptedException {
    return Long.parseLong(run("fincore", "--bytes", "--noheadings", "--output", "RES",
        file.toString()).trim());
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + out);
    return out;
  }
}
