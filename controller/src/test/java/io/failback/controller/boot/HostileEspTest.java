package io.failback.controller.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An EFI system partition an untrusted host crafted, written byte by byte (no tools): the
 * replica's bytes are its guest's, and the boot check reads them on the controller.
 */
class HostileEspTest {
  private static final int SECTOR = 512;
  private static final long PARTITION = 1 << 20;
  private static final int FAT_SECTORS = 48;
  private static final long FAT = PARTITION + SECTOR;
  private static final long ROOT = FAT + FAT_SECTORS * SECTOR;
  private static final long DATA = ROOT + SECTOR;
  /** Clusters in a directory of 1 MiB, the most one directory may have. */
  private static final int DIRECTORY_CLUSTERS = (1 << 20) / SECTOR;
  private static final int VENDORS = 16;

  @TempDir Path dir;

  /**
   * Every folder in \EFI names the same 1 MiB directory, full of loaders. Each folder was read
   * in full: a \EFI of 32,768 such entries made the controller read 32 GiB and keep 2^30 loader
   * paths (its heap gone). Sixteen are enough to pass any bound on the whole check's reads.
   */
  @Test
  void foldersThatShareOneHugeDirectoryAreRefusedNotReadEachTime() throws Exception {
    Path image = espImage("fan-out.img");
    int efi = 2;
    int vendor = efi + DIRECTORY_CLUSTERS;
    writeAt(image, ROOT, entry("EFI", "", 0x10, efi));
    chain(image, efi, DIRECTORY_CLUSTERS);
    chain(image, vendor, DIRECTORY_CLUSTERS);
    ByteBuffer vendors = ByteBuffer.allocate(VENDORS * 32);
    for (int i = 0; i < VENDORS; i++) {
      vendors.put(entry("V" + i, "", 0x10, vendor));
    }
    writeAt(image, cluster(efi), vendors.flip());
    ByteBuffer loaders = ByteBuffer.allocate(1 << 20);
    while (loaders.hasRemaining()) {
      loaders.put(entry("GRUBX64", "EFI", 0x20, 0));
    }
    writeAt(image, cluster(vendor), loaders.flip());

    try (BlockDevice disk = BlockDevices.open(image, false)) {
      IOException refused = assertThrows(IOException.class, () -> EfiBootCheck.of(disk));
      assertTrue(refused.getMessage().contains("more directory bytes than an EFI system"
          + " partition has"), refused.getMessage());
    }
  }

  /**
   * An ESP entry ending at LBA 2^63 - 1: "last + 1" wrapped round to a negative number, which
   * passed the check that the partition ends on the disk.
   */
  @Test
  void aPartitionEndingAtTheLargestLbaIsNoPartitionOfTheDisk() throws Exception {
    Path image = espImage("endless.img");
    writeAt(image, 2 * SECTOR + 40, le(8).putLong(0, Long.MAX_VALUE));
    try (BlockDevice disk = BlockDevices.open(image, false)) {
      assertEquals(Optional.empty(), GptEsp.of(disk));
    }
  }

  /** An 8 MiB image of {@link #writeGptAndBootSector}. */
  private Path espImage(String name) throws IOException {
    Path image = dir.resolve(name);
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(8L << 20);
    }
    writeGptAndBootSector(image);
    return image;
  }

  /** A GPT whose one partition, from 1 MiB for 6 MiB, is an ESP holding a FAT16. */
  private static void writeGptAndBootSector(Path image) throws IOException {
    ByteBuffer header = le(92).putLong(0, 0x5452415020494645L).putLong(72, 2).putInt(80, 1)
        .putInt(84, 128);
    writeAt(image, SECTOR, header);
    ByteBuffer entry = le(128).put(new byte[] {0x28, 0x73, 0x2A, (byte) 0xC1, 0x1F,
        (byte) 0xF8, (byte) 0xD2, 0x11, (byte) 0xBA, 0x4B, 0x00, (byte) 0xA0, (byte) 0xC9, 0x3E,
        (byte) 0xC9, 0x3B}).put(16, (byte) 1).putLong(32, PARTITION / SECTOR)
        .putLong(40, (PARTITION + (6 << 20)) / SECTOR - 1);
    writeAt(image, 2 * SECTOR, entry.clear());
    // 512-byte sectors and clusters, one reserved sector, one FAT, a root of 16 entries.
    ByteBuffer boot = le(SECTOR).putShort(11, (short) SECTOR).put(13, (byte) 1)
        .putShort(14, (short) 1).put(16, (byte) 1).putShort(17, (short) 16)
        .putShort(19, (short) ((6 << 20) / SECTOR)).putShort(22, (short) FAT_SECTORS);
    writeAt(image, PARTITION, boot);
  }

  /** Clusters {@code first}.. linked one to the next, {@code count} of them, then the end. */
  private static void chain(Path image, int first, int count) throws IOException {
    ByteBuffer fat = le(2 * count);
    for (int i = 0; i < count; i++) {
      fat.putShort(2 * i, (short) (i == count - 1 ? 0xFFFF : first + i + 1));
    }
    writeAt(image, FAT + 2L * first, fat);
  }

  private static ByteBuffer entry(String base, String extension, int attributes, int cluster) {
    String name = String.format("%-8s%-3s", base, extension);
    return le(32).put(name.getBytes(StandardCharsets.US_ASCII)).put(11, (byte) attributes)
        .putShort(26, (short) cluster).clear();
  }

  private static long cluster(int cluster) {
    return DATA + (cluster - 2L) * SECTOR;
  }

  private static ByteBuffer le(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void writeAt(Path image, long offset, ByteBuffer bytes) throws IOException {
    try (FileChannel file = FileChannel.open(image, StandardOpenOption.WRITE)) {
      file.write(bytes, offset);
    }
  }
}
