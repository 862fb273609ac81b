package io.failback.common.disk;

import static io.failback.common.disk.VhdxFormat.MAX_METADATA_ENTRIES;
import static io.failback.common.disk.VhdxFormat.METADATA_IS_REQUIRED;
import static io.failback.common.disk.VhdxFormat.METADATA_SIGNATURE;
import static io.failback.common.disk.VhdxFormat.METADATA_TABLE_SIZE;
import static io.failback.common.disk.VhdxFormat.MIB;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;

/** The system metadata items of a VHDX file, validated; see MS-VHDX 2.6. */
record VhdxMetadata(
    VhdxType type, long virtualSize, int blockSize, int logicalSectorSize, int physicalSectorSize) {

  /** The system items this reader understands, with the length each must have at least. */
  private enum Item {
    FILE_PARAMETERS(VhdxFormat.FILE_PARAMETERS, "File Parameters", 8),
    VIRTUAL_DISK_SIZE(VhdxFormat.VIRTUAL_DISK_SIZE, "Virtual Disk Size", 8),
    PAGE_83_DATA(VhdxFormat.PAGE_83_DATA, "Page 83 Data", 16),
    LOGICAL_SECTOR_SIZE(VhdxFormat.LOGICAL_SECTOR_SIZE, "Logical Sector Size", 4),
    PHYSICAL_SECTOR_SIZE(VhdxFormat.PHYSICAL_SECTOR_SIZE, "Physical Sector Size", 4),
    /** Only differencing disks have one; its content is not interpreted here. */
    PARENT_LOCATOR(VhdxFormat.PARENT_LOCATOR, "Parent Locator", 0);

    final UUID guid;
    final String label;
    final int minLength;

    Item(UUID guid, String label, int minLength) {
      this.guid = guid;
      this.label = label;
      this.minLength = minLength;
    }

    static Item of(UUID guid) {
      for (Item item : values()) {
        if (item.guid.equals(guid)) {
          return item;
        }
      }
      return null;
    }
  }

  static VhdxMetadata read(VhdxReader reader, VhdxReader.Extent region) throws IOException {
    Map<Item, ByteBuffer> items = readItems(reader, region);
    for (Item item : Item.values()) {
      if (!items.containsKey(item) && item != Item.PARENT_LOCATOR) {
        throw reader.corrupt("metadata item %s is missing", item.label);
      }
    }
    ByteBuffer params = items.get(Item.FILE_PARAMETERS);
    long blockSize = Integer.toUnsignedLong(params.getInt(0));
    int flags = params.getInt(4);
    long virtualSize = items.get(Item.VIRTUAL_DISK_SIZE).getLong(0);
    long logical = Integer.toUnsignedLong(items.get(Item.LOGICAL_SECTOR_SIZE).getInt(0));
    long physical = Integer.toUnsignedLong(items.get(Item.PHYSICAL_SECTOR_SIZE).getInt(0));
    if (!VhdxFormat.isPowerOfTwo(blockSize)
        || blockSize < VhdxFormat.MIN_BLOCK_SIZE
        || blockSize > VhdxFormat.MAX_BLOCK_SIZE) {
      throw reader.corrupt(
          "block size %d is not a power of two between 1 MiB and 256 MiB", blockSize);
    }
    if (!VhdxFormat.isValidSectorSize(logical) || !VhdxFormat.isValidSectorSize(physical)) {
      throw reader.corrupt(
          "sector sizes must be 512 or 4096, found logical %d and physical %d", logical, physical);
    }
    if (virtualSize <= 0
        || virtualSize > VhdxFormat.MAX_VIRTUAL_SIZE
        || virtualSize % logical != 0) {
      throw reader.corrupt(
          "virtual disk size %s is not a positive multiple of the %d-byte sector up to 64 TiB",
          Long.toUnsignedString(virtualSize), logical);
    }
    return new VhdxMetadata(
        typeOf(flags), virtualSize, (int) blockSize, (int) logical, (int) physical);
  }

  private static VhdxType typeOf(int flags) {
    if ((flags & VhdxFormat.PARAMS_HAS_PARENT) != 0) {
      return VhdxType.DIFFERENCING;
    }
    if ((flags & VhdxFormat.PARAMS_LEAVE_BLOCKS_ALLOCATED) != 0) {
      return VhdxType.FIXED;
    }
    return VhdxType.DYNAMIC;
  }

  /** The known system items, each read from the region; unknown optional items are skipped. */
  private static Map<Item, ByteBuffer> readItems(VhdxReader reader, VhdxReader.Extent region)
      throws IOException {
    ByteBuffer table = reader.readAt(region.offset(), METADATA_TABLE_SIZE);
    if (table.getLong(0) != METADATA_SIGNATURE) {
      throw reader.corrupt(
          "no 'metadata' signature at the start of the metadata region (offset %d)",
          region.offset());
    }
    int count = Short.toUnsignedInt(table.getShort(10));
    if (count > MAX_METADATA_ENTRIES) {
      throw reader.corrupt(
          "metadata table has %d entries, at most %d allowed", count, MAX_METADATA_ENTRIES);
    }
    Map<Item, ByteBuffer> items = new EnumMap<>(Item.class);
    for (int i = 0; i < count; i++) {
      int at = 32 + 32 * i;
      UUID guid = VhdxFormat.getGuid(table, at);
      long offset = Integer.toUnsignedLong(table.getInt(at + 16));
      long length = Integer.toUnsignedLong(table.getInt(at + 20));
      int flags = table.getInt(at + 24);
      boolean user = (flags & 1) != 0;
      Item item = user ? null : Item.of(guid);
      if (item == null) {
        if ((flags & METADATA_IS_REQUIRED) != 0) {
          // MS-VHDX: a reader must refuse a file with a required item it does not understand.
          throw reader.corrupt(
              "unknown metadata item %s is marked required: cannot read this VHDX safely", guid);
        }
        continue;
      }
      checkItemPlacement(reader, region, item, offset, length);
      if (items.containsKey(item)) {
        throw reader.corrupt("metadata item %s appears twice", item.label);
      }
      // The parent locator (up to 1 MiB) only has to be present; its content is not used here.
      int used = item == Item.PARENT_LOCATOR ? 0 : (int) length;
      items.put(item, reader.readAt(region.offset() + offset, used));
    }
    return items;
  }

  private static void checkItemPlacement(
      VhdxReader reader, VhdxReader.Extent region, Item item, long offset, long length)
      throws IOException {
    if (length < item.minLength || length > MIB) {
      throw reader.corrupt("metadata item %s has invalid length %d", item.label, length);
    }
    boolean empty = length == 0 && offset == 0;
    if (!empty && (offset < METADATA_TABLE_SIZE || offset + length > region.length())) {
      throw reader.corrupt(
          "metadata item %s at offset %d with length %d lies outside the metadata region",
          item.label, offset, length);
    }
  }
}
