package io.failback.common.disk;

import static io.failback.common.disk.DiskTesting.MIB;
import static io.failback.common.disk.DiskTesting.filled;
import static io.failback.common.disk.DiskTesting.read;
import static io.failback.common.disk.DiskTesting.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Durability order: header before data, block data before the BAT entry that points at it. */
class VhdxDeviceOrderingTest {
  /** A header slot as read from the file. */
  private record Header(long sequence, UUID fileWriteGuid, UUID dataWriteGuid, ByteBuffer bytes) {
    static Header read(Path file, int slot) throws IOException {
      ByteBuffer b = VhdxPatch.read(file, VhdxFormat.HEADER_OFFSETS[slot], VhdxFormat.HEADER_SIZE);
      assertEquals(VhdxFormat.checksum(b), b.getInt(4), "header " + (slot + 1) + " CRC-32C");
      return new Header(b.getLong(8), VhdxFormat.getGuid(b, 16), VhdxFormat.getGuid(b, 32), b);
    }
  }

  /** Thrown by the hook in place of the process dying. */
  private static final class SimulatedCrash extends IOException {
    private static final long serialVersionUID = 1L;

    SimulatedCrash() {
      super("simulated crash");
    }
  }

  @TempDir Path dir;

  @Test
  void crashBetweenDataAndBatLeavesTheDiskAsItWas() throws Exception {
    Path vhdx = dir.resolve("crash.vhdx");
    try (BlockDevice disk = BlockDevices.createDynamicVhdx(vhdx, 16 * MIB, MIB, 512)) {
      write(disk, 0, filled(MIB, 0x01));
    }
    Path raw = dir.resolve("before.raw");
    Qemu.convertToRaw(vhdx, raw);
    long batOffset = VhdxInfo.read(vhdx).batOffset();
    AtomicBoolean hookRan = new AtomicBoolean();

    try (VhdxDevice disk = VhdxDevice.open(vhdx, true)) {
      disk.beforeBatUpdate(
          (block, fileOffset) -> {
            // On disk at this instant: the new block's data, and still no BAT entry for it.
            assertEquals(3, block);
            assertArrayEquals(filled(MIB, 0x07), VhdxPatch.read(vhdx, fileOffset, MIB).array());
            assertEquals(0, VhdxPatch.read(vhdx, batOffset + 3 * 8, 8).getLong(0));
            hookRan.set(true);
            throw new SimulatedCrash();
          });

      assertThrows(SimulatedCrash.class, () -> write(disk, 3 * MIB, filled(MIB, 0x07)));
      // The process "dies" here: the device is closed without a flush.
    }
    assertTrue(hookRan.get());

    long leaked = Files.size(vhdx);
    try (VhdxDevice disk = VhdxDevice.open(vhdx, true)) {
      DiskTesting.assertSameContent(raw, disk);
      assertTrue(disk.isKnownZero(3 * MIB, MIB));
      // Writing again allocates after the leaked block, never on top of it.
      write(disk, 3 * MIB, filled(MIB, 0x08));
      assertEquals(VhdxBat.fullyPresent(leaked), disk.bat().entry(3));
    }
    Qemu.check(vhdx);
  }

  @Test
  void crashBetweenDataAndBatOfQemusImage() throws Exception {
    Path vhdx = dir.resolve("qemu.vhdx");
    Qemu.createVhdx(vhdx, "subformat=dynamic,block_size=32M", "64M");
    Qemu.io(vhdx, List.of("write -P 0xab 0 64k"));
    String before = DiskTesting.sha256(vhdx);
    Path raw = dir.resolve("qemu.raw");
    Qemu.convertToRaw(vhdx, raw);

    try (VhdxDevice disk = VhdxDevice.open(vhdx, true)) {
      disk.beforeBatUpdate(
          (block, fileOffset) -> {
            throw new SimulatedCrash();
          });
      assertThrows(SimulatedCrash.class, () -> write(disk, 40 * MIB, filled(4096, 0x55)));
    }

    assertNotEquals(before, DiskTesting.sha256(vhdx), "header and leaked block were written");
    Qemu.check(vhdx);
    Qemu.assertSameContent(vhdx, raw);
  }

  @Test
  void headerIsUpdatedOnceBeforeTheFirstWrite() throws Exception {
    Path vhdx = dir.resolve("headers.vhdx");
    VhdxCreator.createDynamic(vhdx, 16 * MIB, MIB, 512);
    Header slot1 = Header.read(vhdx, 0);
    Header slot2 = Header.read(vhdx, 1); // current: sequence number 1

    try (VhdxDevice disk = VhdxDevice.open(vhdx, true)) {
      read(disk, 0, MIB);
      disk.isKnownZero(0, MIB);
      disk.flush();
      assertEquals(slot1, Header.read(vhdx, 0), "opening and reading change nothing");

      disk.beforeBatUpdate(
          (block, fileOffset) -> {
            // Before the first BAT change, the new header is on disk already.
            Header updated = Header.read(vhdx, 0);
            assertEquals(slot2.sequence() + 1, updated.sequence());
            assertNotEquals(slot2.dataWriteGuid(), updated.dataWriteGuid());
            assertNotEquals(slot2.fileWriteGuid(), updated.fileWriteGuid());
          });
      write(disk, 0, filled(512, 1));
      Header updated = Header.read(vhdx, 0);
      assertEquals(slot2, Header.read(vhdx, 1), "the current header is not touched");

      write(disk, 5 * MIB, filled(512, 2));
      disk.writeZeroes(0, MIB);
      assertEquals(updated, Header.read(vhdx, 0), "once per open");
      assertEquals(slot2, Header.read(vhdx, 1));
    }

    try (VhdxDevice disk = VhdxDevice.open(vhdx, true)) {
      disk.writeZeroes(5 * MIB, 512);
    }
    Header third = Header.read(vhdx, 1);
    assertEquals(slot2.sequence() + 2, third.sequence(), "the next open writes the other slot");
    assertEquals(
        ByteBuffer.wrap(Header.read(vhdx, 0).bytes().array(), 48, 4096 - 48),
        ByteBuffer.wrap(third.bytes().array(), 48, 4096 - 48),
        "beyond the sequence number and GUIDs the header is unchanged");
    Qemu.check(vhdx);
  }
}
