package io.failback.common.disk;

import static io.failback.common.disk.DiskTesting.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockDevicesTest {
  @TempDir Path dir;

  @Test
  void vhdxIsRecognizedByItsSignatureNotItsName() throws Exception {
    Path disguised = dir.resolve("disk.img");
    Qemu.createVhdx(disguised, "subformat=dynamic,block_size=1M", "8M");

    try (BlockDevice disk = BlockDevices.open(disguised, false)) {
      assertInstanceOf(VhdxDevice.class, disk);
      assertEquals(8 * MIB, disk.size());
    }
  }

  @Test
  void anythingElseIsRaw() throws Exception {
    Path raw = dir.resolve("disk.bin");
    Files.write(raw, new byte[MIB]);

    try (BlockDevice disk = BlockDevices.open(raw, true)) {
      assertInstanceOf(RawImageDevice.class, disk);
      assertEquals(MIB, disk.size());
      assertTrue(disk.writable());
    }
  }

  @Test
  void vhdIsRefused() throws Exception {
    // qemu's "vpc" format is VHD; a fixed VHD has its 'conectix' footer only at the end.
    for (String subformat : List.of("fixed", "dynamic")) {
      Path vhd = dir.resolve(subformat + ".img");
      Qemu.runOk(
          "qemu-img",
          "create",
          "-q",
          "-f",
          "vpc",
          "-o",
          "subformat=" + subformat,
          vhd.toString(),
          "8M");

      DiskFormatException e =
          assertThrows(DiskFormatException.class, () -> BlockDevices.open(vhd, true));

      assertEquals(
          vhd
              + ": is a VHD (v1) disk ('conectix' footer), which is not supported: convert it"
              + " to VHDX first (Convert-VHD, or qemu-img convert -O vhdx)",
          e.getMessage());
    }
  }

  @Test
  void aDamagedVhdxIsNotMistakenForRaw() throws Exception {
    Path vhdx = dir.resolve("damaged.VHDX");
    Files.write(vhdx, new byte[2 * MIB]);

    DiskFormatException e =
        assertThrows(DiskFormatException.class, () -> BlockDevices.open(vhdx, true));

    assertTrue(e.getMessage().contains("is named like a virtual hard disk"), e.getMessage());
    assertArrayEquals(new byte[2 * MIB], Files.readAllBytes(vhdx));
  }

  @Test
  void createsADynamicVhdxReadyForWrites() throws Exception {
    Path vhdx = dir.resolve("target.vhdx");

    try (BlockDevice disk = BlockDevices.createDynamicVhdx(vhdx, 32 * MIB, 32 * MIB, 512)) {
      assertTrue(disk.writable());
      assertTrue(disk.isKnownZero(0, 32 * MIB));
      DiskTesting.write(disk, MIB, DiskTesting.filled(4096, 9));
    }

    Qemu.check(vhdx);
    Qemu.Result read = Qemu.io(vhdx, List.of("read -P 9 1M 4k", "read -P 0 0 1M"));
    assertFalse(read.output().contains("Pattern verification failed"), read.output());
  }

  @Test
  void createsASparseRawImage() throws Exception {
    Path raw = dir.resolve("target.raw");

    try (BlockDevice disk = BlockDevices.createRawSparse(raw, 1L << 30)) {
      assertEquals(1L << 30, disk.size());
    }

    assertEquals(1L << 30, Files.size(raw));
    assertTrue(DiskTesting.allocatedBlocks(raw) <= 16, "a new raw image is a hole");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(raw), files.toList(), "no temporary file is left");
    }
  }

  @Test
  void creatingNeverOverwrites() throws Exception {
    Path taken = dir.resolve("taken");
    byte[] precious = "precious".getBytes(StandardCharsets.UTF_8);
    Files.write(taken, precious);

    assertThrows(FileAlreadyExistsException.class, () -> BlockDevices.createRawSparse(taken, MIB));
    assertThrows(
        FileAlreadyExistsException.class,
        () -> BlockDevices.createDynamicVhdx(taken, MIB, MIB, 512));
    assertThrows(IllegalArgumentException.class, () -> BlockDevices.createRawSparse(taken, 100));

    assertArrayEquals(precious, Files.readAllBytes(taken));
  }
}
