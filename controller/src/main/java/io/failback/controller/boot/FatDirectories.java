package io.failback.controller.boot;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The directories of a FAT12/16/32 file system, by their 8.3 names (all a boot check needs:
 * EFI, BOOT, BOOTX64.EFI fit them). The bytes come from the guest, so from an untrusted host:
 * every field is checked against the partition, and every cluster chain is bounded by the
 * file system's cluster count, so a crafted one ends in an {@link IOException}, never in a loop
 * or a large allocation. (fat32-lib, the Java library for FAT, follows a cyclic chain for ever:
 * it cannot be given a guest's bytes.)
 */
final class FatDirectories {
  /** Directories larger than this are not an ESP's: refused rather than read. */
  private static final int MAX_DIRECTORY_BYTES = 1 << 20;
  /**
   * All the directories one check reads: a real ESP has a few of a cluster or two. Bounding
   * each alone did not do: every folder of a crafted \EFI may name the same largest directory,
   * which was read again for each (32,768 of them: 32 GiB read, 2^30 loader paths kept).
   */
  private static final int MAX_READ_BYTES = 4 * MAX_DIRECTORY_BYTES;

  /** One entry: its 8.3 name ("BOOTX64.EFI"), whether a directory, its first cluster. */
  record Entry(String name, boolean directory, long firstCluster) {}

  private final BlockDevice disk;
  private final long partition;
  private final int bytesPerSector;
  private final int clusterBytes;
  private final long fatOffset;
  private final int fatBits;
  private final long rootOffset;
  private final int rootBytes;
  private final long rootCluster;
  private final long dataOffset;
  private final long clusters;
  /** The directory bytes read so far, against {@link #MAX_READ_BYTES}. */
  private long readSoFar;

  FatDirectories(BlockDevice disk, GptEsp.Extent extent) throws IOException {
    this.disk = disk;
    this.partition = extent.offset();
    ByteBuffer boot = AlignedReads.read(disk, partition, 512).order(ByteOrder.LITTLE_ENDIAN);
    bytesPerSector = Short.toUnsignedInt(boot.getShort(11));
    int sectorsPerCluster = Byte.toUnsignedInt(boot.get(13));
    int reserved = Short.toUnsignedInt(boot.getShort(14));
    int fats = Byte.toUnsignedInt(boot.get(16));
    int rootEntries = Short.toUnsignedInt(boot.getShort(17));
    long total = boot.getShort(19) != 0 ? Short.toUnsignedInt(boot.getShort(19))
        : Integer.toUnsignedLong(boot.getInt(32));
    long fatSectors = boot.getShort(22) != 0 ? Short.toUnsignedInt(boot.getShort(22))
        : Integer.toUnsignedLong(boot.getInt(36));
    check(bytesPerSector == 512 || bytesPerSector == 1024 || bytesPerSector == 2048
        || bytesPerSector == 4096, "bytes per sector " + bytesPerSector);
    check(sectorsPerCluster > 0 && Integer.bitCount(sectorsPerCluster) == 1,
        "sectors per cluster " + sectorsPerCluster);
    check(reserved > 0 && fats > 0 && fats <= 4 && fatSectors > 0, "reserved sectors or FATs");
    check(total * bytesPerSector <= extent.length(), "total sectors " + total
        + " beyond the partition");
    clusterBytes = sectorsPerCluster * bytesPerSector;
    rootBytes = rootEntries * 32;
    long rootSectors = (rootBytes + bytesPerSector - 1) / bytesPerSector;
    long firstData = reserved + fats * fatSectors + rootSectors;
    check(firstData < total, "no data area");
    clusters = (total - firstData) / sectorsPerCluster;
    // Microsoft's FAT specification: the type follows from the cluster count alone.
    fatBits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
    check(fatSectors * bytesPerSector * 8 >= (clusters + 2) * fatBits, "FAT too small");
    fatOffset = partition + (long) reserved * bytesPerSector;
    rootOffset = fatOffset + fats * fatSectors * bytesPerSector;
    dataOffset = partition + firstData * bytesPerSector;
    rootCluster = fatBits == 32 ? Integer.toUnsignedLong(boot.getInt(44)) : 0;
    check(fatBits == 32 ? isCluster(rootCluster) : rootBytes > 0, "root directory");
  }

  List<Entry> root() throws IOException {
    if (fatBits == 32) {
      return list(rootCluster);
    }
    account(rootBytes);
    return entries(AlignedReads.read(disk, rootOffset, rootBytes));
  }

  List<Entry> list(Entry directory) throws IOException {
    check(directory.directory() && isCluster(directory.firstCluster()), "not a directory");
    return list(directory.firstCluster());
  }

  private List<Entry> list(long first) throws IOException {
    List<ByteBuffer> parts = new ArrayList<>();
    long cluster = first;
    int read = 0;
    // A chain longer than the file system has clusters loops.
    for (long steps = 0; isCluster(cluster); steps++) {
      check(steps < clusters && read + clusterBytes <= MAX_DIRECTORY_BYTES,
          "the directory's cluster chain loops or is too long");
      account(clusterBytes);
      parts.add(AlignedReads.read(disk, dataOffset + (cluster - 2) * clusterBytes,
          clusterBytes));
      read += clusterBytes;
      cluster = next(cluster);
    }
    ByteBuffer bytes = ByteBuffer.allocate(read);
    for (ByteBuffer part : parts) {
      bytes.put(part);
    }
    return entries(bytes.flip());
  }

  /** Counts {@code bytes} of directory about to be read; refuses them beyond the bound. */
  private void account(int bytes) throws IOException {
    readSoFar += bytes;
    check(readSoFar <= MAX_READ_BYTES, "more directory bytes than an EFI system partition has"
        + " (over " + (MAX_READ_BYTES >> 20) + " MiB in all)");
  }

  private boolean isCluster(long cluster) {
    return cluster >= 2 && cluster < clusters + 2;
  }

  /** The FAT's entry for {@code cluster}: the next cluster, or an end (not a cluster). */
  private long next(long cluster) throws IOException {
    long bit = cluster * fatBits;
    ByteBuffer entry = AlignedReads.read(disk, fatOffset + bit / 8, 4)
        .order(ByteOrder.LITTLE_ENDIAN);
    long value = Integer.toUnsignedLong(entry.getInt(0));
    return switch (fatBits) {
      case 12 -> (cluster & 1) == 0 ? value & 0xFFF : (value >>> 4) & 0xFFF;
      case 16 -> value & 0xFFFF;
      default -> value & 0x0FFFFFFF;
    };
  }

  private static List<Entry> entries(ByteBuffer bytes) {
    bytes.order(ByteOrder.LITTLE_ENDIAN);
    List<Entry> entries = new ArrayList<>();
    for (int at = 0; at + 32 <= bytes.limit(); at += 32) {
      int first = Byte.toUnsignedInt(bytes.get(at));
      int attributes = Byte.toUnsignedInt(bytes.get(at + 11));
      if (first == 0) {
        break; // no entries after this one
      }
      if (first == 0xE5 || (attributes & 0x0F) == 0x0F || (attributes & 0x08) != 0) {
        continue; // deleted, a long-name part, the volume label
      }
      byte[] raw = new byte[11];
      bytes.get(at, raw);
      String base = new String(raw, 0, 8, StandardCharsets.US_ASCII).strip();
      String extension = new String(raw, 8, 3, StandardCharsets.US_ASCII).strip();
      long cluster = (Short.toUnsignedLong(bytes.getShort(at + 20)) << 16)
          | Short.toUnsignedLong(bytes.getShort(at + 26));
      entries.add(new Entry(extension.isEmpty() ? base : base + "." + extension,
          (attributes & 0x10) != 0, cluster));
    }
    return entries;
  }

  private static void check(boolean ok, String what) throws IOException {
    if (!ok) {
      throw new IOException("not a FAT file system we can read: " + what);
    }
  }
}
