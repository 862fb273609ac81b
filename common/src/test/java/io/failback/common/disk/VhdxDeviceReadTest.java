package io.failback.common.disk;

import static io.failback.common.disk.DiskTesting.KIB;
import static io.failback.common.disk.DiskTesting.MIB;
import static io.failback.common.disk.DiskTesting.read;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reads of VHDX files that qemu wrote, checked against qemu's own conversion to raw. */
class VhdxDeviceReadTest {
  private static final List<String> PATTERNS =
      List.of(
          "write -P 0xab 0 64k",
          "write -P 0xcd 3M 4k",
          "write -P 0xef 5M 2M", // crosses a block boundary with 1 MiB blocks
          "write -P 0x12 33M 1M", // the second 32 MiB block
          "write -P 0x34 63M 1M"); // the last MiB of the disk

  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "'subformat=dynamic,block_size=1M', DYNAMIC",
    "'subformat=dynamic,block_size=32M', DYNAMIC",
    "'subformat=fixed,block_state_zero=off', FIXED",
    "'subformat=fixed,block_state_zero=off,block_size=1M', FIXED",
    "'subformat=fixed', FIXED", // qemu's non-standard fixed disk: every block ZERO
  })
  void readsWhatQemuWrote(String options, VhdxType type) throws Exception {
    Path vhdx = dir.resolve("qemu.vhdx");
    Path raw = dir.resolve("qemu.raw");
    Qemu.createVhdx(vhdx, options, "64M");
    Qemu.Result written = Qemu.io(vhdx, PATTERNS);
    assertEquals(0, written.exitCode(), written.output());
    Qemu.convertToRaw(vhdx, raw);
    byte[] expected = Files.readAllBytes(raw);

    try (VhdxDevice disk = VhdxDevice.open(vhdx, false)) {
      assertEquals(type, disk.info().type());
      assertEquals(64 * MIB, disk.size());
      assertArrayEquals(expected, read(disk, 0, (int) disk.size()));
      // Random ranges: starts and ends inside blocks, runs of present and zero blocks.
      Random random = new Random(7);
      for (int i = 0; i < 200; i++) {
        int offset = random.nextInt(64 * 2048) * 512;
        int length = Math.min(64 * MIB - offset, (1 + random.nextInt(8 * 2048)) * 512);
        byte[] got = read(disk, offset, length);
        assertArrayEquals(
            Arrays.copyOfRange(expected, offset, offset + length),
            got,
            "read of " + length + " bytes at " + offset);
      }
    }
  }

  @Test
  void readsIntoDirectBuffersAndBufferSlices() throws Exception {
    Path vhdx = dir.resolve("direct.vhdx");
    Qemu.createVhdx(vhdx, "subformat=dynamic,block_size=1M", "8M");
    Qemu.io(vhdx, List.of("write -P 0x99 1020k 8k"));

    try (VhdxDevice disk = VhdxDevice.open(vhdx, false)) {
      ByteBuffer buffer = ByteBuffer.allocateDirect(16 * KIB);
      buffer.position(1024).limit(1024 + 12 * KIB);
      disk.read(1016 * KIB, buffer);

      assertEquals(1024 + 12 * KIB, buffer.position());
      byte[] got = new byte[12 * KIB];
      buffer.position(1024);
      buffer.get(got);
      byte[] expected = new byte[12 * KIB];
      Arrays.fill(expected, 4 * KIB, 12 * KIB, (byte) 0x99);
      assertArrayEquals(expected, got);
    }
  }

  @Test
  void knownZeroFollowsTheBat() throws Exception {
    Path vhdx = dir.resolve("zero.vhdx");
    Qemu.createVhdx(vhdx, "subformat=dynamic,block_size=1M", "16M");
    Qemu.io(vhdx, List.of("write -P 0 0 4k", "write -P 1 3M 4k"));

    try (VhdxDevice disk = VhdxDevice.open(vhdx, false)) {
      // Block 0 holds zeros but is allocated: only the BAT counts, so "unknown".
      assertFalse(disk.isKnownZero(0, 512));
      assertTrue(disk.isKnownZero(MIB, 2 * MIB));
      assertFalse(disk.isKnownZero(MIB, 2 * MIB + 512));
      assertTrue(disk.isKnownZero(4 * MIB, 12 * MIB));
      assertTrue(disk.isKnownZero(16 * MIB, 0));
    }
  }

  @Test
  void fixedDisksAreNeverKnownZero() throws Exception {
    Path vhdx = dir.resolve("fixed.vhdx");
    Qemu.createVhdx(vhdx, "subformat=fixed,block_state_zero=off,block_size=1M", "4M");

    try (VhdxDevice disk = VhdxDevice.open(vhdx, false)) {
      assertFalse(disk.isKnownZero(0, 4 * MIB));
      assertArrayEquals(new byte[4 * MIB], read(disk, 0, 4 * MIB));
    }
  }

  @Test
  void readsOurOwnFourKibSectorDisk() throws Exception {
    // qemu cannot open 4 KiB-sector VHDX files, so this shape is checked against itself.
    Path vhdx = dir.resolve("4k.vhdx");
    try (BlockDevice disk = BlockDevices.createDynamicVhdx(vhdx, 64 * MIB, 32 * MIB, 4096)) {
      assertEquals(4096, disk.logicalSectorSize());
      DiskTesting.write(disk, 32 * MIB - 4096, DiskTesting.filled(8192, 3));
    }
    try (BlockDevice disk = BlockDevices.open(vhdx, false)) {
      byte[] got = read(disk, 32 * MIB - 8192, 16384);
      assertArrayEquals(new byte[4096], Arrays.copyOfRange(got, 0, 4096));
      assertArrayEquals(DiskTesting.filled(8192, 3), Arrays.copyOfRange(got, 4096, 12288));
      assertArrayEquals(new byte[4096], Arrays.copyOfRange(got, 12288, 16384));
    }
  }
}
