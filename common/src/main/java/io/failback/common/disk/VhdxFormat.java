package io.failback.common.disk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;
import java.util.zip.CRC32C;

/** On-disk constants of MS-VHDX and the little-endian/GUID codecs shared by reader and creator. */
final class VhdxFormat {
  static final long KIB = 1024;
  static final long MIB = 1024 * KIB;

  static final long FILE_ID_SIGNATURE = 0x656c696678646876L; // "vhdxfile"
  static final int HEADER_SIGNATURE = 0x64616568; // "head"
  static final int REGION_TABLE_SIGNATURE = 0x69676572; // "regi"
  static final long METADATA_SIGNATURE = 0x617461646174656dL; // "metadata"

  static final long[] HEADER_OFFSETS = {64 * KIB, 128 * KIB};
  static final int HEADER_SIZE = (int) (4 * KIB);
  static final long[] REGION_TABLE_OFFSETS = {192 * KIB, 256 * KIB};
  static final int REGION_TABLE_SIZE = (int) (64 * KIB);
  static final int MAX_REGION_ENTRIES = 2047;
  static final int METADATA_TABLE_SIZE = (int) (64 * KIB);
  static final int MAX_METADATA_ENTRIES = 2047;

  /** The file identifier, headers and region tables all live in the first MiB. */
  static final long HEADER_SECTION_SIZE = MIB;

  static final int REGION_REQUIRED = 1;
  static final int METADATA_IS_VIRTUAL_DISK = 2;
  static final int METADATA_IS_REQUIRED = 4;
  static final int PARAMS_LEAVE_BLOCKS_ALLOCATED = 1;
  static final int PARAMS_HAS_PARENT = 2;

  static final UUID BAT_REGION = UUID.fromString("2dc27766-f623-4200-9d64-115e9bfd4a08");
  static final UUID METADATA_REGION = UUID.fromString("8b7ca206-4790-4b9a-b8fe-575f050f886e");
  static final UUID FILE_PARAMETERS = UUID.fromString("caa16737-fa36-4d43-b3b6-33f0aa44e76b");
  static final UUID VIRTUAL_DISK_SIZE = UUID.fromString("2fa54224-cd1b-4876-b211-5dbed83bf4b8");
  static final UUID PAGE_83_DATA = UUID.fromString("beca12ab-b2e6-4523-93ef-c309e000c746");
  static final UUID LOGICAL_SECTOR_SIZE = UUID.fromString("8141bf1d-a96f-4709-ba47-f233a8faab5f");
  static final UUID PHYSICAL_SECTOR_SIZE = UUID.fromString("cda348c7-445d-4471-9cc9-e9885251c556");
  static final UUID PARENT_LOCATOR = UUID.fromString("a8d35f2d-b30b-454d-abf7-d3d84834ab0c");

  static final long MIN_BLOCK_SIZE = MIB;
  static final long MAX_BLOCK_SIZE = 256 * MIB;
  static final long MAX_VIRTUAL_SIZE = 64L * 1024 * 1024 * MIB; // 64 TiB

  /** Sectors described by one sector bitmap block (MS-VHDX: 2^23). */
  static final long SECTORS_PER_BITMAP_BLOCK = 1L << 23;

  private VhdxFormat() {}

  static ByteBuffer allocate(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** CRC-32C of the whole buffer with its checksum field (bytes 4..7) taken as zero. */
  static int checksum(ByteBuffer structure) {
    ByteBuffer copy = structure.duplicate().clear();
    byte[] bytes = new byte[copy.remaining()];
    copy.get(bytes);
    bytes[4] = 0;
    bytes[5] = 0;
    bytes[6] = 0;
    bytes[7] = 0;
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return (int) crc.getValue();
  }

  /** Stores the CRC-32C of a header or region table into its checksum field. */
  static void sealChecksum(ByteBuffer structure) {
    structure.putInt(4, 0);
    structure.putInt(4, checksum(structure));
  }

  /** Reads a GUID in Microsoft's mixed-endian layout (first three fields little-endian). */
  static UUID getGuid(ByteBuffer buffer, int offset) {
    long data1 = Integer.toUnsignedLong(buffer.getInt(offset));
    long data2 = Short.toUnsignedLong(buffer.getShort(offset + 4));
    long data3 = Short.toUnsignedLong(buffer.getShort(offset + 6));
    long low = 0;
    for (int i = 8; i < 16; i++) {
      low = (low << 8) | (buffer.get(offset + i) & 0xff);
    }
    return new UUID((data1 << 32) | (data2 << 16) | data3, low);
  }

  /** Writes a GUID in Microsoft's mixed-endian layout. */
  static void putGuid(ByteBuffer buffer, int offset, UUID guid) {
    long high = guid.getMostSignificantBits();
    buffer.putInt(offset, (int) (high >>> 32));
    buffer.putShort(offset + 4, (short) (high >>> 16));
    buffer.putShort(offset + 6, (short) high);
    long low = guid.getLeastSignificantBits();
    for (int i = 15; i >= 8; i--) {
      buffer.put(offset + i, (byte) low);
      low >>>= 8;
    }
  }

  /** Payload blocks per sector bitmap block: {@code 2^23 * logicalSectorSize / blockSize}. */
  static long chunkRatio(long blockSize, long logicalSectorSize) {
    return SECTORS_PER_BITMAP_BLOCK * logicalSectorSize / blockSize;
  }

  /** BAT entries a disk of this shape needs, sector bitmap entries included. */
  static long batEntryCount(VhdxType type, long virtualSize, long blockSize, long chunkRatio) {
    long payloadBlocks = ceilDiv(virtualSize, blockSize);
    if (type == VhdxType.DIFFERENCING) {
      return ceilDiv(payloadBlocks, chunkRatio) * (chunkRatio + 1);
    }
    // A sector bitmap entry follows every chunkRatio payload entries, except after the last.
    return payloadBlocks + (payloadBlocks - 1) / chunkRatio;
  }

  static long ceilDiv(long value, long divisor) {
    return (value + divisor - 1) / divisor;
  }

  static boolean isPowerOfTwo(long value) {
    return value > 0 && (value & (value - 1)) == 0;
  }

  static boolean isValidSectorSize(long size) {
    return size == 512 || size == 4096;
  }
}
