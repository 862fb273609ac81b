package io.failback.common.disk;

import static io.failback.common.disk.DiskTesting.KIB;
import static io.failback.common.disk.DiskTesting.MIB;
import static io.failback.common.disk.DiskTesting.filled;
import static io.failback.common.disk.DiskTesting.read;
import static io.failback.common.disk.DiskTesting.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Writes through VhdxDevice, checked by qemu against the same writes to a raw image. */
class VhdxDeviceWriteTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "qemu {0} {1}, seed {2}")
  @CsvSource({
    "'subformat=dynamic,block_size=1M', 64M, 1",
    "'subformat=dynamic,block_size=1M', 64M, 2",
    "'subformat=dynamic,block_size=32M', 96M, 3",
    "'subformat=fixed,block_state_zero=off,block_size=1M', 24M, 4",
    "'subformat=fixed,block_state_zero=off', 40M, 5", // 8 MiB blocks
    "'subformat=fixed', 16M, 6", // qemu's fixed disk whose blocks are all ZERO
  })
  void randomWritesToQemuImages(String options, String size, long seed) throws Exception {
    Path vhdx = dir.resolve("ours.vhdx");
    Qemu.createVhdx(vhdx, options, size);
    // Start from data qemu wrote, so that in-place overwrites are exercised too.
    Qemu.Result written = Qemu.io(vhdx, List.of("write -P 0xab 0 64k", "write -P 0xcd 3M 4k"));
    assertEquals(0, written.exitCode(), written.output());
    Path raw = dir.resolve("expected.raw");
    Qemu.convertToRaw(vhdx, raw);

    applyAndVerify(vhdx, raw, seed);
  }

  @ParameterizedTest(name = "VhdxCreator {0} bytes, {1}-byte blocks, seed {2}")
  @CsvSource({
    "67108864, 1048576, 7",
    "100663296, 33554432, 8",
    "10486272, 2097152, 9", // 10 MiB + 512: the last block is partial
  })
  void randomWritesToANewDisk(long size, int blockSize, long seed) throws Exception {
    Path vhdx = dir.resolve("new.vhdx");
    BlockDevices.createDynamicVhdx(vhdx, size, blockSize, 512).close();
    Path raw = dir.resolve("expected.raw");
    BlockDevices.createRawSparse(raw, size).close();

    applyAndVerify(vhdx, raw, seed);
  }

  private void applyAndVerify(Path vhdx, Path raw, long seed) throws Exception {
    VhdxType type = VhdxInfo.read(vhdx).type();
    try (VhdxDevice ours = VhdxDevice.open(vhdx, true);
        BlockDevice expected = RawImageDevice.open(raw, true)) {
      List<RandomWrites.Op> ops = RandomWrites.plan(seed, 40, ours.size(), ours.info().blockSize());
      RandomWrites.apply(ops, ours, expected);
      ours.flush();
      expected.flush();
      DiskTesting.assertSameContent(expected, ours);
    }
    Qemu.check(vhdx);
    Qemu.assertSameContent(vhdx, raw);
    assertEquals(type, VhdxInfo.read(vhdx).type(), "the disk type never changes");
  }

  @Test
  void blocksAfterTheFirstSectorBitmapEntry() throws Exception {
    // 8 GiB in 1 MiB blocks: chunk ratio 4096, so a sector bitmap entry sits between the BAT
    // entries of blocks 4095 and 4096, and block 5120 has BAT index 5121.
    Path vhdx = dir.resolve("big.vhdx");
    VhdxCreator.createDynamic(vhdx, 8L << 30, MIB, 512);
    Qemu.Result written = Qemu.io(vhdx, List.of("write -P 0xab 4095M 2M"));
    assertEquals(0, written.exitCode(), written.output());

    try (VhdxDevice disk = VhdxDevice.open(vhdx, true)) {
      assertArrayEquals(filled(2 * MIB, 0xab), read(disk, 4095L * MIB, 2 * MIB));
      write(disk, 5L << 30, filled(64 * KIB, 0xcd));
      write(disk, 8191L * MIB, filled(MIB, 0xef));
      disk.writeZeroes(4096L * MIB, MIB);
      assertTrue(disk.isKnownZero(4096L * MIB, MIB));
      assertTrue(disk.isKnownZero(4097L * MIB, 1023L * MIB));
    }

    Qemu.check(vhdx);
    Qemu.Result read =
        Qemu.io(
            vhdx,
            List.of(
                "read -P 0xab 4095M 1M",
                "read -P 0 4096M 1M",
                "read -P 0xcd 5G 64k",
                "read -P 0 5121M 1M",
                "read -P 0xef 8191M 1M"));
    assertEquals(0, read.exitCode(), read.output());
    assertFalse(read.output().contains("Pattern verification failed"), read.output());
  }

  @Test
  void zeroingWholeBlocksMakesThemZeroInTheBat() throws Exception {
    Path vhdx = dir.resolve("zero.vhdx");
    try (VhdxDevice disk = (VhdxDevice) BlockDevices.createDynamicVhdx(vhdx, 8 * MIB, MIB, 512)) {
      write(disk, 0, filled(3 * MIB, 0x21));
      long fileSize = Files.size(vhdx);

      disk.writeZeroes(512, 3 * MIB - 512); // block 0 in part, blocks 1 and 2 whole
      disk.writeZeroes(5 * MIB, MIB); // a whole block that is not allocated

      assertEquals(VhdxBat.FULLY_PRESENT, VhdxBat.state(disk.bat().entry(0)));
      assertEquals(VhdxBat.zero(), disk.bat().entry(1)); // state ZERO, offset 0
      assertEquals(VhdxBat.zero(), disk.bat().entry(2));
      assertEquals(VhdxBat.NOT_PRESENT, VhdxBat.state(disk.bat().entry(5)));
      assertTrue(disk.isKnownZero(MIB, 2 * MIB));
      assertArrayEquals(filled(512, 0x21), read(disk, 0, 512));
      assertArrayEquals(new byte[3 * MIB - 512], read(disk, 512, 3 * MIB - 512));
      assertEquals(fileSize, Files.size(vhdx), "zeroing never allocates");
    }
    Qemu.check(vhdx);
  }

  @Test
  void zeroingToTheEndOfTheDiskCoversAPartialLastBlock() throws Exception {
    Path vhdx = dir.resolve("partial.vhdx");
    long size = 10 * MIB + 512; // blocks of 2 MiB: the sixth holds 512 bytes of the disk
    try (VhdxDevice disk = (VhdxDevice) BlockDevices.createDynamicVhdx(vhdx, size, 2 * MIB, 512)) {
      write(disk, size - MIB, filled(MIB, 0x5e));

      disk.writeZeroes(10 * MIB, 512);

      assertEquals(VhdxBat.zero(), disk.bat().entry(5));
      assertEquals(VhdxBat.FULLY_PRESENT, VhdxBat.state(disk.bat().entry(4)));
      assertArrayEquals(filled(MIB - 512, 0x5e), read(disk, size - MIB, MIB - 512));
      assertArrayEquals(new byte[512], read(disk, 10 * MIB, 512));
    }
    Qemu.check(vhdx);
  }

  @Test
  void fixedDisksZeroInPlaceAndKeepTheirBat() throws Exception {
    Path vhdx = dir.resolve("fixed.vhdx");
    Qemu.createVhdx(vhdx, "subformat=fixed,block_state_zero=off,block_size=1M", "4M");
    Qemu.io(vhdx, List.of("write -P 0x66 0 4M"));
    byte[] bat = VhdxPatch.read(vhdx, VhdxInfo.read(vhdx).batOffset(), 64).array();
    long fileSize = Files.size(vhdx);

    try (BlockDevice disk = BlockDevices.open(vhdx, true)) {
      disk.writeZeroes(MIB, 2 * MIB);
      assertArrayEquals(filled(MIB, 0x66), read(disk, 0, MIB));
      assertArrayEquals(new byte[2 * MIB], read(disk, MIB, 2 * MIB));
      assertArrayEquals(filled(MIB, 0x66), read(disk, 3 * MIB, MIB));
    }

    assertArrayEquals(bat, VhdxPatch.read(vhdx, VhdxInfo.read(vhdx).batOffset(), 64).array());
    assertEquals(fileSize, Files.size(vhdx));
    Qemu.check(vhdx);
  }

  @Test
  void newBlocksGoAtTheAlignedEndOfTheFileWithZerosAroundTheData() throws Exception {
    Path vhdx = dir.resolve("append.vhdx");
    try (VhdxDevice disk = (VhdxDevice) BlockDevices.createDynamicVhdx(vhdx, 64 * MIB, MIB, 512)) {
      long end = Files.size(vhdx); // 4 MiB: header section, log, metadata, BAT
      write(disk, 10 * MIB + 4 * KIB, filled(4 * KIB, 0x3c));
      write(disk, 2 * MIB, filled(512, 0x3d));

      assertEquals(VhdxBat.fullyPresent(end), disk.bat().entry(10));
      assertEquals(VhdxBat.fullyPresent(end + MIB), disk.bat().entry(2));
      assertEquals(end + 2 * MIB, Files.size(vhdx));
      byte[] block = VhdxPatch.read(vhdx, end, MIB).array();
      byte[] expected = new byte[MIB];
      Arrays.fill(expected, 4 * KIB, 8 * KIB, (byte) 0x3c);
      assertArrayEquals(expected, block);
    }
  }

  @Test
  void concurrentWritersAllocateEachBlockOnce() throws Exception {
    Path vhdx = dir.resolve("race.vhdx");
    Path raw = dir.resolve("race.raw");
    int threads = 8;
    int blocks = 16;
    try (VhdxDevice disk =
            (VhdxDevice) BlockDevices.createDynamicVhdx(vhdx, blocks * MIB, MIB, 512);
        BlockDevice expected = BlockDevices.createRawSparse(raw, blocks * MIB)) {
      long start = Files.size(vhdx);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int id = t;
          // Every thread writes its own 4 KiB in every block: all of them race to allocate.
          done.add(
              pool.submit(
                  () -> {
                    for (int b = 0; b < blocks; b++) {
                      write(disk, b * (long) MIB + id * 4L * KIB, filled(4 * KIB, id + 1));
                    }
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      for (int b = 0; b < blocks; b++) {
        for (int t = 0; t < threads; t++) {
          write(expected, b * (long) MIB + t * 4L * KIB, filled(4 * KIB, t + 1));
        }
      }
      DiskTesting.assertSameContent(expected, disk);
      assertEquals(start + blocks * (long) MIB, Files.size(vhdx), "one allocation per block");
    }
    Qemu.check(vhdx);
    Qemu.assertSameContent(vhdx, raw);
  }
}
