package io.failback.common.disk;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What the headers, region table and metadata of a VHDX file say about the disk it holds.
 *
 * @param type how payload blocks are allocated
 * @param virtualSize the size of the disk the guest sees, in bytes
 * @param blockSize the payload block size in bytes (1 MiB to 256 MiB, a power of two)
 * @param logicalSectorSize 512 or 4096
 * @param physicalSectorSize 512 or 4096
 * @param logNonEmpty the current header names a log (non-zero LogGuid): the log must be replayed
 *     before the file is written, and until then the metadata and BAT read here may be stale
 * @param batOffset file offset of the block allocation table region
 * @param batLength length of the block allocation table region in bytes
 */
public record VhdxInfo(
    VhdxType type,
    long virtualSize,
    int blockSize,
    int logicalSectorSize,
    int physicalSectorSize,
    boolean logNonEmpty,
    long batOffset,
    long batLength) {

  /**
   * Reads and validates the structures of a VHDX file.
   *
   * @throws DiskFormatException if the file is not a VHDX file or its structures are corrupt
   * @throws IOException if the file cannot be read
   */
  public static VhdxInfo read(Path file) throws IOException {
    return VhdxReader.read(file);
  }

  /** Payload blocks described by one sector bitmap block. */
  public long chunkRatio() {
    return VhdxFormat.chunkRatio(blockSize, logicalSectorSize);
  }

  /** Number of payload blocks that cover the virtual disk. */
  public long payloadBlockCount() {
    return VhdxFormat.ceilDiv(virtualSize, blockSize);
  }

  /** Number of BAT entries in use, sector bitmap entries included. */
  public long batEntryCount() {
    return VhdxFormat.batEntryCount(type, virtualSize, blockSize, chunkRatio());
  }
}
