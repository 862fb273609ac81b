package io.failback.common.disk;

import static com.google.common.base.Preconditions.checkArgument;
import static io.failback.common.disk.VhdxFormat.HEADER_OFFSETS;
import static io.failback.common.disk.VhdxFormat.HEADER_SIZE;
import static io.failback.common.disk.VhdxFormat.MIB;
import static io.failback.common.disk.VhdxFormat.REGION_TABLE_OFFSETS;
import static io.failback.common.disk.VhdxFormat.REGION_TABLE_SIZE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.SPARSE;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Creates new, empty dynamic VHDX files (MS-VHDX) that Hyper-V and qemu open.
 *
 * <p>Layout: the header section in the first MiB, a 1 MiB log at 1 MiB, the metadata region at 2
 * MiB and the BAT from 3 MiB. Every BAT entry is NOT_PRESENT (all zero bytes), so the file is
 * sparse and only a few KiB are written.
 */
public final class VhdxCreator {
  private static final String CREATOR = "Failback";
  private static final long LOG_OFFSET = MIB;
  private static final long LOG_LENGTH = MIB;
  private static final long METADATA_OFFSET = 2 * MIB;
  private static final long METADATA_LENGTH = MIB;
  private static final long BAT_OFFSET = 3 * MIB;
  private static final int PHYSICAL_SECTOR_SIZE = 4096;
  private static final int PAGE = 4096;

  private VhdxCreator() {}

  /**
   * Writes a new dynamic VHDX whose blocks all read as zeros.
   *
   * <p>The file is written under a temporary name in the same directory, flushed to stable storage,
   * then published under {@code file} without ever replacing an existing file; on failure nothing
   * is left under either name.
   *
   * @param virtualSize disk size in bytes: a positive multiple of the logical sector size, at most
   *     64 TiB
   * @param blockSize payload block size: a power of two from 1 MiB to 256 MiB (Hyper-V's default is
   *     32 MiB)
   * @param logicalSectorSize 512 or 4096
   * @throws FileAlreadyExistsException if {@code file} exists
   * @throws IllegalArgumentException if a size is out of range
   */
  public static void createDynamic(
      Path file, long virtualSize, int blockSize, int logicalSectorSize) throws IOException {
    checkArguments(virtualSize, blockSize, logicalSectorSize);
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(file.toString(), null, "refusing to overwrite");
    }
    Path temp = file.resolveSibling(file.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      try (FileChannel out = FileChannel.open(temp, CREATE_NEW, WRITE, SPARSE)) {
        writeStructures(out, virtualSize, blockSize, logicalSectorSize);
        out.force(true);
      }
      DurableFiles.publishNew(temp, file);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private static void checkArguments(long virtualSize, int blockSize, int logicalSectorSize) {
    checkArgument(
        VhdxFormat.isValidSectorSize(logicalSectorSize),
        "logical sector size must be 512 or 4096, got %s",
        logicalSectorSize);
    checkArgument(
        VhdxFormat.isPowerOfTwo(blockSize)
            && blockSize >= VhdxFormat.MIN_BLOCK_SIZE
            && blockSize <= VhdxFormat.MAX_BLOCK_SIZE,
        "block size must be a power of two from 1 MiB to 256 MiB, got %s",
        blockSize);
    checkArgument(
        virtualSize > 0 && virtualSize <= VhdxFormat.MAX_VIRTUAL_SIZE,
        "virtual size must be positive and at most 64 TiB, got %s",
        virtualSize);
    checkArgument(
        virtualSize % logicalSectorSize == 0,
        "virtual size %s is not a multiple of the logical sector size %s",
        virtualSize,
        logicalSectorSize);
  }

  private static void writeStructures(
      FileChannel out, long virtualSize, int blockSize, int logicalSectorSize) throws IOException {
    long chunkRatio = VhdxFormat.chunkRatio(blockSize, logicalSectorSize);
    long batEntries =
        VhdxFormat.batEntryCount(VhdxType.DYNAMIC, virtualSize, blockSize, chunkRatio);
    long batLength = VhdxFormat.ceilDiv(batEntries * 8, MIB) * MIB;
    writeFully(out, fileIdentifier(), 0);
    ByteBuffer header = header();
    for (int i = 0; i < 2; i++) {
      // Sequence numbers 0 and 1: header 2 is current; both describe the same file.
      header.putLong(8, i);
      VhdxFormat.sealChecksum(header);
      writeFully(out, header, HEADER_OFFSETS[i]);
    }
    ByteBuffer regionTable = regionTable(batLength);
    for (long offset : REGION_TABLE_OFFSETS) {
      writeFully(out, regionTable, offset);
    }
    writeFully(out, metadata(virtualSize, blockSize, logicalSectorSize), METADATA_OFFSET);
    // The BAT is all NOT_PRESENT entries (zero bytes): extending the file is enough.
    out.write(VhdxFormat.allocate(1), BAT_OFFSET + batLength - 1);
  }

  private static ByteBuffer fileIdentifier() {
    ByteBuffer id = VhdxFormat.allocate(8 + 512);
    id.putLong(0, VhdxFormat.FILE_ID_SIGNATURE);
    id.position(8);
    id.put(CREATOR.getBytes(StandardCharsets.UTF_16LE));
    return id.clear();
  }

  private static ByteBuffer header() {
    ByteBuffer header = VhdxFormat.allocate(HEADER_SIZE);
    header.putInt(0, VhdxFormat.HEADER_SIGNATURE);
    VhdxFormat.putGuid(header, 16, UUID.randomUUID()); // FileWriteGuid
    VhdxFormat.putGuid(header, 32, UUID.randomUUID()); // DataWriteGuid
    // LogGuid (48..63) stays zero: the log is empty, nothing to replay.
    header.putShort(64, (short) 0); // LogVersion
    header.putShort(66, (short) 1); // Version
    header.putInt(68, (int) LOG_LENGTH);
    header.putLong(72, LOG_OFFSET);
    return header;
  }

  private static ByteBuffer regionTable(long batLength) {
    ByteBuffer table = VhdxFormat.allocate(REGION_TABLE_SIZE);
    table.putInt(0, VhdxFormat.REGION_TABLE_SIGNATURE);
    table.putInt(8, 2);
    putRegion(table, 16, VhdxFormat.BAT_REGION, BAT_OFFSET, batLength);
    putRegion(table, 48, VhdxFormat.METADATA_REGION, METADATA_OFFSET, METADATA_LENGTH);
    VhdxFormat.sealChecksum(table);
    return table;
  }

  private static void putRegion(ByteBuffer table, int at, UUID guid, long offset, long length) {
    VhdxFormat.putGuid(table, at, guid);
    table.putLong(at + 16, offset);
    table.putInt(at + 24, (int) length);
    table.putInt(at + 28, VhdxFormat.REGION_REQUIRED);
  }

  /** The metadata table followed by its five items, packed from offset 64 KiB. */
  private static ByteBuffer metadata(long virtualSize, int blockSize, int logicalSectorSize) {
    int itemsAt = VhdxFormat.METADATA_TABLE_SIZE;
    ByteBuffer region = VhdxFormat.allocate(itemsAt + 40);
    region.putLong(0, VhdxFormat.METADATA_SIGNATURE);
    region.putShort(10, (short) 5);
    int diskItem = VhdxFormat.METADATA_IS_VIRTUAL_DISK | VhdxFormat.METADATA_IS_REQUIRED;
    putItem(region, 0, VhdxFormat.FILE_PARAMETERS, itemsAt, 8, VhdxFormat.METADATA_IS_REQUIRED);
    region.putInt(itemsAt, blockSize);
    region.putInt(itemsAt + 4, 0); // neither LeaveBlocksAllocated nor HasParent: dynamic
    putItem(region, 1, VhdxFormat.VIRTUAL_DISK_SIZE, itemsAt + 8, 8, diskItem);
    region.putLong(itemsAt + 8, virtualSize);
    putItem(region, 2, VhdxFormat.PAGE_83_DATA, itemsAt + 16, 16, diskItem);
    VhdxFormat.putGuid(region, itemsAt + 16, UUID.randomUUID());
    putItem(region, 3, VhdxFormat.LOGICAL_SECTOR_SIZE, itemsAt + 32, 4, diskItem);
    region.putInt(itemsAt + 32, logicalSectorSize);
    putItem(region, 4, VhdxFormat.PHYSICAL_SECTOR_SIZE, itemsAt + 36, 4, diskItem);
    region.putInt(itemsAt + 36, PHYSICAL_SECTOR_SIZE);
    return region;
  }

  private static void putItem(
      ByteBuffer region, int index, UUID guid, int offset, int length, int flags) {
    int at = 32 + 32 * index;
    VhdxFormat.putGuid(region, at, guid);
    region.putInt(at + 16, offset);
    region.putInt(at + 20, length);
    region.putInt(at + 24, flags);
  }

  /**
   * Writes the 4 KiB pages of {@code buffer} that hold a non-zero byte. The file is new, so the
   * pages left out already read as zeros, and stay holes: mostly-empty tables take no space.
   */
  private static void writeFully(FileChannel out, ByteBuffer buffer, long offset)
      throws IOException {
    int size = buffer.capacity();
    for (int page = 0; page < size; page += PAGE) {
      ByteBuffer slice = buffer.duplicate().limit(Math.min(page + PAGE, size)).position(page);
      if (isZero(slice.duplicate())) {
        continue;
      }
      while (slice.hasRemaining()) {
        out.write(slice, offset + slice.position());
      }
    }
  }

  private static boolean isZero(ByteBuffer bytes) {
    while (bytes.hasRemaining()) {
      if (bytes.get() != 0) {
        return false;
      }
    }
    return true;
  }
}
