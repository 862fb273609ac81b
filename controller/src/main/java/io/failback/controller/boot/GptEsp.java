package io.failback.controller.boot;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.UUID;

/**
 * The EFI system partition of a GPT disk, read from the primary header and its partition
 * entries (UEFI 2.10, section 5.3): where a generation 2 VM's boot loaders live.
 */
final class GptEsp {
  /** C12A7328-F81F-11D2-BA4B-00A0C93EC93B as a GPT entry stores it (mixed endian). */
  private static final byte[] ESP_TYPE = {0x28, 0x73, 0x2A, (byte) 0xC1, 0x1F, (byte) 0xF8,
      (byte) 0xD2, 0x11, (byte) 0xBA, 0x4B, 0x00, (byte) 0xA0, (byte) 0xC9, 0x3E, (byte) 0xC9,
      0x3B};
  private static final long SIGNATURE = 0x5452415020494645L; // "EFI PART"
  /** More entries than any real table has: a bound on what a corrupt header makes us read. */
  private static final int MAX_ENTRIES = 1024;

  /**
   * A partition's bytes on the disk, and how a UEFI device path names it: its number in the
   * table (from 1), first sector and sector count in the table's sectors of {@code sectorSize}
   * bytes, and its unique partition GUID.
   */
  record Extent(long offset, long length, int number, long firstLba, long lbaCount,
      int sectorSize, UUID guid) {}

  private GptEsp() {}

  /** The first EFI system partition, or empty when the disk has no GPT or none. */
  static Optional<Extent> of(BlockDevice disk) throws IOException {
    // The header is at LBA 1, of the sector size the guest laid it out with: a copy may show
    // another (a 4Kn VHDX's replica in qcow2 has 512-byte sectors), so both are tried.
    for (int sector : new int[] {512, 4096}) {
      Optional<Extent> esp = of(disk, sector);
      if (esp.isPresent()) {
        return esp;
      }
    }
    return Optional.empty();
  }

  private static Optional<Extent> of(BlockDevice disk, int sector) throws IOException {
    if (disk.size() < 3L * sector) {
      return Optional.empty();
    }
    ByteBuffer header = read(disk, sector, 92);
    if (header.getLong(0) != SIGNATURE) {
      return Optional.empty();
    }
    long entriesLba = header.getLong(72);
    int count = header.getInt(80);
    int size = header.getInt(84);
    if (count <= 0 || count > MAX_ENTRIES || size < 128 || size > 4096
        || entriesLba <= 0 || entriesLba > disk.size() / sector) {
      return Optional.empty();
    }
    ByteBuffer entries = read(disk, entriesLba * sector, count * size);
    for (int i = 0; i < count; i++) {
      int at = i * size;
      if (isEsp(entries, at)) {
        long first = entries.getLong(at + 32);
        long last = entries.getLong(at + 40);
        // "last < sectors", not "last + 1 <= sectors": a crafted last of 2^63 - 1 wraps.
        if (first > 0 && last >= first && last < disk.size() / sector) {
          return Optional.of(new Extent(first * sector, (last - first + 1) * sector, i + 1,
              first, last - first + 1, sector,
              EfiBootEntry.guid(entries.array(), entries.arrayOffset() + at + 16)));
        }
      }
    }
    return Optional.empty();
  }

  private static boolean isEsp(ByteBuffer entries, int at) {
    for (int b = 0; b < ESP_TYPE.length; b++) {
      if (entries.get(at + b) != ESP_TYPE[b]) {
        return false;
      }
    }
    return true;
  }

  /** {@code length} bytes at {@code offset}, a sector's start, read in whole sectors. */
  private static ByteBuffer read(BlockDevice disk, long offset, int length) throws IOException {
    return AlignedReads.read(disk, offset, length).order(ByteOrder.LITTLE_ENDIAN);
  }
}
