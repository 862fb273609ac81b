package io.failback.common.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VhdxInfoTest {
  private static final UUID SOME_GUID = UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "'subformat=dynamic,block_size=1M', 64M, DYNAMIC",
    "'subformat=dynamic,block_size=32M', 64M, DYNAMIC",
    "'subformat=fixed,block_state_zero=off', 8M, FIXED",
    "'subformat=fixed,block_state_zero=off,block_size=1M', 4M, FIXED",
  })
  void readsWhatQemuCreates(String options, String size, VhdxType type) throws Exception {
    Path file = dir.resolve("qemu.vhdx");
    Qemu.createVhdx(file, options, size);
    JsonObject qemu = Qemu.info(file);

    VhdxInfo info = VhdxInfo.read(file);

    assertEquals(type, info.type());
    assertEquals(qemu.get("virtual-size").getAsLong(), info.virtualSize());
    assertEquals(qemu.get("cluster-size").getAsInt(), info.blockSize());
    assertEquals(512, info.logicalSectorSize());
    assertEquals(512, info.physicalSectorSize());
    assertFalse(info.logNonEmpty());
    assertTrue(info.batEntryCount() * 8 <= info.batLength());
  }

  @Test
  void hasParentFlagMeansDifferencing() throws Exception {
    // qemu cannot create differencing VHDX files ("Backing file not supported"): set the
    // HasParent flag on a copy instead. Metadata items carry no checksum, so no CRC to fix.
    Path file = qemuDynamic();
    long params = VhdxPatch.metadataItemOffset(file, VhdxFormat.FILE_PARAMETERS);
    VhdxPatch.raw(file, params + 4, 4, b -> b.putInt(0, VhdxFormat.PARAMS_HAS_PARENT));

    assertEquals(VhdxType.DIFFERENCING, VhdxInfo.read(file).type());
  }

  @Test
  void usesTheValidHeaderWithTheHigherSequenceNumber() throws Exception {
    Path file = qemuDynamic();
    // Header 1 becomes current (higher sequence number) and names a log.
    VhdxPatch.header(file, 0, h -> h.putLong(8, h.getLong(8) + 10).putLong(48, 7));
    assertTrue(VhdxInfo.read(file).logNonEmpty());

    // Corrupting the current header makes the reader fall back to header 2, which has no log.
    VhdxPatch.flipByte(file, VhdxFormat.HEADER_OFFSETS[0] + 100);
    assertFalse(VhdxInfo.read(file).logNonEmpty());
  }

  @Test
  void sequenceNumbersCompareUnsigned() throws Exception {
    Path file = qemuDynamic();
    VhdxPatch.header(file, 0, h -> h.putLong(8, 1).putLong(48, 7));
    VhdxPatch.header(file, 1, h -> h.putLong(8, -1L)); // 2^64 - 1, the higher one

    assertFalse(VhdxInfo.read(file).logNonEmpty());
  }

  @Test
  void bothHeadersCorrupt() throws Exception {
    Path file = qemuDynamic();
    VhdxPatch.flipByte(file, VhdxFormat.HEADER_OFFSETS[0] + 20);
    VhdxPatch.flipByte(file, VhdxFormat.HEADER_OFFSETS[1] + 20);

    String message =
        assertThrows(DiskFormatException.class, () -> VhdxInfo.read(file)).getMessage();

    assertTrue(message.startsWith(file + ": header 1 and header 2 are both invalid"), message);
    assertTrue(message.contains("header 1 fails its CRC-32C"), message);
    assertTrue(message.contains("header 2 fails its CRC-32C"), message);
  }

  @Test
  void equalSequenceNumbersWithDifferentContentIsCorrupt() throws Exception {
    Path file = qemuDynamic();
    VhdxPatch.header(file, 1, h -> h.putLong(8, 5));
    VhdxPatch.header(file, 0, h -> h.putLong(8, 5).putLong(48, 7));

    assertMessageContains(file, "differ but carry the same sequence number 5");
  }

  @Test
  void fallsBackToRegionTable2() throws Exception {
    Path file = qemuDynamic();
    VhdxPatch.flipByte(file, VhdxFormat.REGION_TABLE_OFFSETS[0] + 40);
    assertEquals(64L << 20, VhdxInfo.read(file).virtualSize());

    VhdxPatch.flipByte(file, VhdxFormat.REGION_TABLE_OFFSETS[1] + 40);
    assertMessageContains(file, "region table 1 and region table 2 are both invalid");
  }

  @Test
  void unknownRegionIsRefusedOnlyWhenRequired() throws Exception {
    Path file = qemuDynamic();
    for (int table = 0; table < 2; table++) {
      VhdxPatch.regionTable(file, table, t -> addRegion(t, 0));
    }
    assertEquals(VhdxType.DYNAMIC, VhdxInfo.read(file).type());

    for (int table = 0; table < 2; table++) {
      VhdxPatch.regionTable(file, table, t -> t.putInt(16 + 32 * 2 + 28, 1));
    }
    assertMessageContains(file, "unknown region " + SOME_GUID + " is marked required");
  }

  @Test
  void unknownRequiredMetadataItemIsRefused() throws Exception {
    Path file = qemuDynamic();
    long entry = VhdxPatch.metadataEntryOffset(file, VhdxFormat.PAGE_83_DATA);
    VhdxPatch.raw(file, entry, 16, b -> VhdxFormat.putGuid(b, 0, SOME_GUID));

    assertMessageContains(file, "unknown metadata item " + SOME_GUID + " is marked required");
  }

  @Test
  void invalidBlockSizeIsRefused() throws Exception {
    Path file = qemuDynamic();
    long params = VhdxPatch.metadataItemOffset(file, VhdxFormat.FILE_PARAMETERS);
    VhdxPatch.raw(file, params, 4, b -> b.putInt(0, 3 << 20));

    assertMessageContains(file, "block size 3145728 is not a power of two");
  }

  @Test
  void garbageIsNotVhdx() throws Exception {
    Path file = dir.resolve("garbage.vhdx");
    byte[] garbage = new byte[2 << 20];
    new Random(42).nextBytes(garbage);
    Files.write(file, garbage);

    assertMessageContains(file, "not a VHDX file (no 'vhdxfile' signature at offset 0)");
    Files.write(file, new byte[0]);
    assertMessageContains(file, "not a VHDX file");
  }

  @Test
  void truncatedInsideTheHeaderSection() throws Exception {
    Path file = qemuDynamic();
    truncate(file, 300 << 10);

    assertMessageContains(file, "truncated: 307200 bytes, shorter than the 1 MiB");
  }

  @Test
  void truncatedBeforeTheEndOfARegion() throws Exception {
    Path file = qemuDynamic();
    long metadata = VhdxPatch.metadataRegionOffset(file);
    truncate(file, metadata + (512 << 10));

    assertMessageContains(file, "truncated: " + (metadata + (512 << 10)) + " bytes, but the");
  }

  @Test
  void missingFileIsNotAFormatError() {
    Path file = dir.resolve("missing.vhdx");

    assertThrows(NoSuchFileException.class, () -> VhdxInfo.read(file));
  }

  private Path qemuDynamic() throws Exception {
    Path file = dir.resolve("disk.vhdx");
    Qemu.createVhdx(file, "subformat=dynamic,block_size=1M", "64M");
    return file;
  }

  /** Appends a third region entry, 1 MiB after the end of the file, to a region table. */
  private static void addRegion(java.nio.ByteBuffer table, int flags) {
    int at = 16 + 32 * table.getInt(8);
    VhdxFormat.putGuid(table, at, SOME_GUID);
    table.putLong(at + 16, 64L << 20);
    table.putInt(at + 24, 1 << 20);
    table.putInt(at + 28, flags);
    table.putInt(8, table.getInt(8) + 1);
  }

  private static void truncate(Path file, long length) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.setLength(length);
    }
  }

  private static void assertMessageContains(Path file, String expected) {
    DiskFormatException e = assertThrows(DiskFormatException.class, () -> VhdxInfo.read(file));
    assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertEquals(file, e.file());
  }
}
