package io.failback.common.disk;

import static io.failback.common.disk.DiskTesting.KIB;
import static io.failback.common.disk.DiskTesting.MIB;
import static io.failback.common.disk.DiskTesting.allocatedBlocks;
import static io.failback.common.disk.DiskTesting.filled;
import static io.failback.common.disk.DiskTesting.read;
import static io.failback.common.disk.DiskTesting.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RawImageDeviceTest {
  @TempDir Path dir;

  @Test
  void writesAndReadsBack() throws Exception {
    Path file = dir.resolve("disk.raw");
    try (BlockDevice disk = BlockDevices.createRawSparse(file, 8 * MIB)) {
      assertEquals(8 * MIB, disk.size());
      assertEquals(512, disk.logicalSectorSize());
      assertTrue(disk.writable());
      write(disk, 3 * MIB - 512, filled(4 * KIB, 0x5a));
      disk.flush();

      assertArrayEquals(filled(4 * KIB, 0x5a), read(disk, 3 * MIB - 512, 4 * KIB));
      assertArrayEquals(new byte[512], read(disk, 3 * MIB - 1024, 512));
      assertArrayEquals(new byte[512], read(disk, 8 * MIB - 512, 512));
    }
    assertEquals(8 * MIB, Files.size(file));
  }

  @Test
  void writeZeroesOnAHoleAllocatesNothing() throws Exception {
    Path file = dir.resolve("sparse.raw");
    try (BlockDevice disk = BlockDevices.createRawSparse(file, 64 * MIB)) {
      write(disk, 8 * MIB + 64 * KIB, filled(4 * KIB, 0x11));
      disk.flush();
      long before = allocatedBlocks(file);
      assertTrue(before <= 64, "a 4 KiB write allocated " + before + " sectors");

      disk.writeZeroes(0, 8 * MIB); // all hole
      disk.writeZeroes(16 * MIB, 48 * MIB); // all hole, to the end of the file
      disk.writeZeroes(8 * MIB, 2 * MIB); // one 4 KiB page of data among holes
      disk.flush();

      // Zeroing the one page of data rewrote that page only; no hole was filled.
      assertEquals(before, allocatedBlocks(file));
      assertArrayEquals(new byte[4 * KIB], read(disk, 8 * MIB + 64 * KIB, 4 * KIB));
    }
  }

  @Test
  void zeroingHolesReadsNothing() throws Exception {
    Path file = dir.resolve("fresh.raw");
    try (BlockDevice disk = BlockDevices.createRawSparse(file, 256 * MIB)) {
      write(disk, 64 * MIB, filled(MIB, 0x22));
      long before = bytesReadByThisProcess();

      // A full download's zero ranges into a fresh sparse target: the holes are skipped, only
      // the data among them (1 MiB, and the last page createRawSparse wrote) is read.
      disk.writeZeroes(0, 256 * MIB);

      long read = bytesReadByThisProcess() - before;
      assertTrue(read >= MIB && read < 2 * MIB, "zeroing 256 MiB of mostly holes read " + read
          + " bytes");
      assertArrayEquals(new byte[MIB], read(disk, 64 * MIB, MIB));
    }
  }

  @Test
  void holesAreThoseOfTheFileOpenedNotOfOneRenamedInItsPlace() throws Exception {
    Path file = dir.resolve("opened.raw");
    BlockDevices.createRawSparse(file, 4 * MIB).close();
    try (BlockDevice disk = RawImageDevice.open(file, true)) {
      write(disk, 0, filled(MIB, 0x33));
      // Another file, all hole, takes the path: the device still reads its own file's data,
      // and must not call that data a hole (a lane would skip it).
      Path other = dir.resolve("other.raw");
      BlockDevices.createRawSparse(other, 4 * MIB).close();
      Files.move(other, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);

      assertFalse(disk.isKnownZero(0, MIB));
      assertArrayEquals(filled(MIB, 0x33), read(disk, 0, MIB));
    }
  }

  /** {@code rchar} of /proc/self/io: every byte this JVM's read calls returned. */
  private static long bytesReadByThisProcess() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
      if (line.startsWith("rchar:")) {
        return Long.parseLong(line.substring("rchar:".length()).trim());
      }
    }
    throw new IllegalStateException("no rchar in /proc/self/io");
  }

  @Test
  void writeZeroesOverDataWritesZerosThereOnly() throws Exception {
    Path file = dir.resolve("data.raw");
    try (BlockDevice disk = BlockDevices.createRawSparse(file, 4 * MIB)) {
      write(disk, MIB, filled(MIB, 0x77));

      // Unaligned to the 4 KiB page grid on both ends: sectors, not pages, are the unit.
      disk.writeZeroes(MIB + 512, 8 * KIB + 1024);

      assertArrayEquals(filled(512, 0x77), read(disk, MIB, 512));
      assertArrayEquals(new byte[8 * KIB + 1024], read(disk, MIB + 512, 8 * KIB + 1024));
      assertArrayEquals(filled(512, 0x77), read(disk, MIB + 9 * KIB + 512, 512));
      assertFalse(disk.isKnownZero(MIB + 512, 512), "zeros written over data are data");
      assertTrue(disk.isKnownZero(MIB, 0));
    }
  }

  @Test
  void holesAreKnownZeroAndDataIsNotEvenBeforeItIsFlushed() throws Exception {
    Path file = dir.resolve("holes.raw");
    try (BlockDevice disk = BlockDevices.createRawSparse(file, 64 * MIB)) {
      assertTrue(disk.isKnownZero(0, 64 * MIB), "a fresh sparse file is one hole");
      // Not flushed: a page the file system has not allocated yet (delayed allocation) is
      // still data to lseek, else a lane would skip a block it has just been sent.
      write(disk, 8 * MIB + 64 * KIB, filled(4 * KIB, 0x11));

      assertFalse(disk.isKnownZero(8 * MIB, MIB));
      assertFalse(disk.isKnownZero(8 * MIB + 64 * KIB + 4 * KIB - 512, 512));
      assertFalse(disk.isKnownZero(0, 64 * MIB));
      assertTrue(disk.isKnownZero(0, 8 * MIB));
      assertTrue(disk.isKnownZero(16 * MIB, 32 * MIB));
      disk.flush();
      assertFalse(disk.isKnownZero(8 * MIB + 64 * KIB, 4 * KIB));
      assertTrue(disk.isKnownZero(32 * MIB, 64 * KIB));

      disk.writeZeroes(8 * MIB, MIB);
      assertArrayEquals(new byte[4 * KIB], read(disk, 8 * MIB + 64 * KIB, 4 * KIB));
    }
  }

  @Test
  void fourKibSectors() throws Exception {
    Path file = dir.resolve("4k.raw");
    BlockDevices.createRawSparse(file, MIB).close();
    try (BlockDevice disk = RawImageDevice.open(file, true, 4096)) {
      assertEquals(4096, disk.logicalSectorSize());
      write(disk, 4096, filled(4096, 1));

      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> write(disk, 512, new byte[4096]));
      assertEquals(
          "offset 512 and length 4096 must be multiples of the 4096-byte logical sector size",
          e.getMessage());
    }
  }

  @Test
  void sizeNotAMultipleOfTheSectorIsNotARawDisk() throws Exception {
    Path file = dir.resolve("odd.raw");
    Files.write(file, new byte[1000]);

    DiskFormatException e =
        assertThrows(DiskFormatException.class, () -> RawImageDevice.open(file, false));

    assertEquals(
        file
            + ": size 1000 is not a multiple of the 512-byte logical sector size: not a raw"
            + " disk image",
        e.getMessage());
  }

  @Test
  void badRangesAndReadOnlyWritesChangeNothing() throws Exception {
    Path file = dir.resolve("guarded.raw");
    BlockDevices.createRawSparse(file, MIB).close();
    try (BlockDevice disk = RawImageDevice.open(file, true)) {
      write(disk, 0, filled(MIB, 0x42));
    }
    String before = DiskTesting.sha256(file);
    try (BlockDevice disk = RawImageDevice.open(file, true)) {
      assertRefused(disk, 100, 512, "offset 100 and length 512 must be multiples");
      assertRefused(disk, 512, 100, "offset 512 and length 100 must be multiples");
      assertRefused(
          disk, MIB - 512, 1024, "range [1048064, 1048064 + 1024) lies outside the disk of");
      assertRefused(disk, -512, 512, "range [-512, -512 + 512) lies outside");
      assertThrows(IllegalArgumentException.class, () -> disk.writeZeroes(MIB, 512));
      assertThrows(IllegalArgumentException.class, () -> disk.read(MIB, ByteBuffer.allocate(1)));
    }
    try (BlockDevice disk = RawImageDevice.open(file, false)) {
      assertFalse(disk.writable());
      IOException e = assertThrows(IOException.class, () -> write(disk, 0, new byte[512]));
      assertEquals(file + ": opened read-only; cannot write", e.getMessage());
      assertThrows(IOException.class, () -> disk.writeZeroes(0, 512));
    }
    assertEquals(before, DiskTesting.sha256(file));
  }

  @Test
  void concurrentWritersOfDisjointRanges() throws Exception {
    Path file = dir.resolve("shared.raw");
    int threads = 8;
    try (BlockDevice disk = BlockDevices.createRawSparse(file, threads * MIB);
        ExecutorCloser pool = new ExecutorCloser(Executors.newFixedThreadPool(threads))) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        // Interleaved 4 KiB stripes, so the threads' writes sit side by side.
        done.add(
            pool.executor.submit(
                () -> {
                  for (long at = id * 4L * KIB; at < threads * MIB; at += threads * 4L * KIB) {
                    write(disk, at, filled(4 * KIB, id + 1));
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      for (long at = 0; at < threads * MIB; at += 4 * KIB) {
        int id = (int) (at / (4 * KIB) % threads);
        assertArrayEquals(filled(4 * KIB, id + 1), read(disk, at, 4 * KIB), "at " + at);
      }
    }
  }

  @Test
  void blockDeviceSizeComesFromSysfs() throws Exception {
    Path sys = dir.resolve("sys-class-block");
    Files.createDirectories(sys.resolve("loop9"));
    Files.writeString(sys.resolve("loop9/size"), "2048\n");
    Path device = Path.of("/dev/loop9");

    assertEquals(2048L * 512, RawImageDevice.sysfsSize(sys, "loop9", device));

    DiskFormatException e =
        assertThrows(DiskFormatException.class, () -> RawImageDevice.sysfsSize(sys, "sda", device));
    assertTrue(e.getMessage().contains("not a block device with a known size"), e.getMessage());
  }

  @Test
  void characterDeviceIsRefused() {
    // /dev/null has length 0 like a block device, but no size in /sys/class/block.
    DiskFormatException e =
        assertThrows(
            DiskFormatException.class, () -> RawImageDevice.open(Path.of("/dev/null"), false));

    assertEquals(
        "/dev/null: not a block device with a known size (/sys/class/block/null/size does not"
            + " exist)",
        e.getMessage());
  }

  private static void assertRefused(BlockDevice disk, long offset, int length, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> write(disk, offset, new byte[length]));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }

  /** Shuts a pool down at the end of a try block (Java 17 executors are not AutoCloseable). */
  private record ExecutorCloser(ExecutorService executor) implements AutoCloseable {
    @Override
    public void close() {
      executor.shutdownNow();
    }
  }
}
