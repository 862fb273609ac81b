package io.failback.common.disk;

import static io.failback.common.disk.DiskTesting.MIB;
import static io.failback.common.disk.DiskTesting.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Bad calls and unsupported or corrupt files are refused before anything is written. */
class VhdxDeviceRefusalTest {
  @TempDir Path dir;

  @Test
  void badRangesChangeNothingNotEvenTheHeader() throws Exception {
    Path vhdx = qemuImage();
    String before = DiskTesting.sha256(vhdx);

    try (VhdxDevice disk = VhdxDevice.open(vhdx, true)) {
      assertRefused(() -> write(disk, 100, new byte[512]), "offset 100 and length 512 must be");
      assertRefused(() -> write(disk, 512, new byte[100]), "offset 512 and length 100 must be");
      assertRefused(
          () -> write(disk, 16 * MIB - 512, new byte[1024]),
          "range [16776704, 16776704 + 1024) lies outside the disk of 16777216 bytes");
      assertRefused(() -> disk.writeZeroes(16 * MIB, 512), "range [16777216, 16777216 + 512)");
      assertRefused(() -> disk.writeZeroes(0, Long.MAX_VALUE - 511), "range [0, 0 + ");
      assertRefused(() -> disk.read(-512, ByteBuffer.allocate(512)), "range [-512, -512 + 512)");
      assertRefused(() -> disk.isKnownZero(512, 100), "offset 512 and length 100 must be");
    }

    assertEquals(before, DiskTesting.sha256(vhdx));
  }

  @Test
  void readOnlyDevicesRefuseWrites() throws Exception {
    Path vhdx = qemuImage();
    String before = DiskTesting.sha256(vhdx);

    try (VhdxDevice disk = VhdxDevice.open(vhdx, false)) {
      assertFalse(disk.writable());
      IOException e = assertThrows(IOException.class, () -> write(disk, 0, new byte[512]));
      assertEquals(vhdx + ": opened read-only; cannot write", e.getMessage());
      assertThrows(IOException.class, () -> disk.writeZeroes(0, MIB));
    }

    assertEquals(before, DiskTesting.sha256(vhdx));
  }

  @Test
  void differencingDisksAreRefused() throws Exception {
    // qemu cannot create differencing VHDX files: set the HasParent flag on a copy instead.
    Path vhdx = qemuImage();
    long params = VhdxPatch.metadataItemOffset(vhdx, VhdxFormat.FILE_PARAMETERS);
    VhdxPatch.raw(vhdx, params + 4, 4, b -> b.putInt(0, VhdxFormat.PARAMS_HAS_PARENT));

    String message = refusal(vhdx);

    assertTrue(message.startsWith(vhdx + ": is a differencing disk"), message);
    assertTrue(message.contains("merge the checkpoints first"), message);
  }

  @Test
  void aLogToReplayIsRefusedNamingTheRepair() throws Exception {
    Path vhdx = qemuImage();
    // Header 1 becomes current (higher sequence number) and names a log.
    VhdxPatch.header(vhdx, 0, h -> h.putLong(8, h.getLong(8) + 10).putLong(48, 7));

    String message = refusal(vhdx);

    assertTrue(message.startsWith(vhdx + ": the VHDX log is not empty"), message);
    assertTrue(message.contains("'qemu-img check -r all " + vhdx + "'"), message);
  }

  @Test
  void batEntryPointingIntoMetadataIsRefused() throws Exception {
    Path vhdx = qemuImage();
    long metadata = VhdxPatch.metadataRegionOffset(vhdx);

    String message = refusalAfterBatEdit(vhdx, 1, e -> VhdxBat.fullyPresent(metadata));

    assertEquals(
        vhdx + ": payload block 1 at offset " + metadata + " overlaps the metadata", message);
  }

  @Test
  void batEntryPastTheEndOfTheFileIsRefused() throws Exception {
    Path vhdx = qemuImage();

    String message = refusalAfterBatEdit(vhdx, 2, e -> VhdxBat.fullyPresent(1L << 40));

    assertTrue(message.contains("payload block 2 at offset 1099511627776 ends past the end of"));
    assertTrue(message.endsWith("the file was truncated"), message);
  }

  @Test
  void twoBlocksAtTheSameOffsetAreRefused() throws Exception {
    Path vhdx = qemuImage(); // block 0 is allocated by qemu
    long block0 = VhdxPatch.read(vhdx, VhdxInfo.read(vhdx).batOffset(), 8).getLong(0);

    String message = refusalAfterBatEdit(vhdx, 7, e -> block0);

    assertTrue(message.contains("two payload blocks overlap at file offsets"), message);
  }

  @Test
  void partiallyPresentIsRefusedOnADiskWithoutParent() throws Exception {
    Path vhdx = qemuImage();

    String message = refusalAfterBatEdit(vhdx, 3, e -> 7);

    assertEquals(
        vhdx + ": BAT entry of payload block 3 has state 7, which a DYNAMIC disk cannot have",
        message);
  }

  /** A 16 MiB dynamic disk in 1 MiB blocks with block 0 allocated by qemu. */
  private Path qemuImage() throws Exception {
    Path vhdx = dir.resolve("disk.vhdx");
    Qemu.createVhdx(vhdx, "subformat=dynamic,block_size=1M", "16M");
    Qemu.Result result = Qemu.io(vhdx, List.of("write -P 0xab 0 64k"));
    assertEquals(0, result.exitCode(), result.output());
    return vhdx;
  }

  private static String refusalAfterBatEdit(Path vhdx, long block, LongUnaryOperator edit)
      throws IOException {
    long at = VhdxInfo.read(vhdx).batOffset() + block * 8; // blocks below the chunk ratio
    VhdxPatch.raw(vhdx, at, 8, b -> b.putLong(0, edit.applyAsLong(b.getLong(0))));
    return refusal(vhdx);
  }

  /** Opening is refused both read-only and writable, and changes nothing. */
  private static String refusal(Path vhdx) throws IOException {
    String before = DiskTesting.sha256(vhdx);
    String readOnly =
        assertThrows(DiskFormatException.class, () -> VhdxDevice.open(vhdx, false)).getMessage();
    String writable =
        assertThrows(DiskFormatException.class, () -> BlockDevices.open(vhdx, true)).getMessage();
    assertEquals(readOnly, writable);
    assertEquals(before, DiskTesting.sha256(vhdx));
    return readOnly;
  }

  private static void assertRefused(Executable call, String messagePrefix) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().startsWith(messagePrefix), e.getMessage());
  }
}
