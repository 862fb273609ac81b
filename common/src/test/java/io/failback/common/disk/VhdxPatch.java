package io.failback.common.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.function.Consumer;

/** Edits VHDX structures in place to build corrupt or unusual test images. */
final class VhdxPatch {
  private VhdxPatch() {}

  /** Edits header 1 or 2 (index 0 or 1), then recomputes its CRC-32C. */
  static void header(Path file, int index, Consumer<ByteBuffer> edit) throws IOException {
    sealed(file, VhdxFormat.HEADER_OFFSETS[index], VhdxFormat.HEADER_SIZE, edit);
  }

  /** Edits region table 1 or 2 (index 0 or 1), then recomputes its CRC-32C. */
  static void regionTable(Path file, int index, Consumer<ByteBuffer> edit) throws IOException {
    sealed(file, VhdxFormat.REGION_TABLE_OFFSETS[index], VhdxFormat.REGION_TABLE_SIZE, edit);
  }

  /** Edits bytes at an offset without fixing any checksum. */
  static void raw(Path file, long offset, int size, Consumer<ByteBuffer> edit) throws IOException {
    ByteBuffer buffer = read(file, offset, size);
    edit.accept(buffer);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.write(buffer.clear(), offset);
    }
  }

  static ByteBuffer read(Path file, long offset, int size) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buffer = VhdxFormat.allocate(size);
      channel.read(buffer, offset);
      return buffer.clear();
    }
  }

  /** Flips every bit of one byte. */
  static void flipByte(Path file, long offset) throws IOException {
    raw(file, offset, 1, b -> b.put(0, (byte) ~b.get(0)));
  }

  /** File offset of the metadata table entry (32 bytes) describing {@code item}. */
  static long metadataEntryOffset(Path file, UUID item) throws IOException {
    long region = metadataRegionOffset(file);
    ByteBuffer table = read(file, region, VhdxFormat.METADATA_TABLE_SIZE);
    for (int i = 0; i < Short.toUnsignedInt(table.getShort(10)); i++) {
      if (VhdxFormat.getGuid(table, 32 + 32 * i).equals(item)) {
        return region + 32 + 32 * i;
      }
    }
    throw new IllegalArgumentException("no metadata item " + item + " in " + file);
  }

  /** File offset of the value of metadata {@code item}. */
  static long metadataItemOffset(Path file, UUID item) throws IOException {
    long entry = metadataEntryOffset(file, item);
    return metadataRegionOffset(file) + Integer.toUnsignedLong(read(file, entry + 16, 4).getInt(0));
  }

  /** File offset of the metadata region, from region table 1. */
  static long metadataRegionOffset(Path file) throws IOException {
    ByteBuffer table = read(file, VhdxFormat.REGION_TABLE_OFFSETS[0], VhdxFormat.REGION_TABLE_SIZE);
    for (int i = 0; i < table.getInt(8); i++) {
      if (VhdxFormat.getGuid(table, 16 + 32 * i).equals(VhdxFormat.METADATA_REGION)) {
        return table.getLong(16 + 32 * i + 16);
      }
    }
    throw new IllegalArgumentException("no metadata region in " + file);
  }

  private static void sealed(Path file, long offset, int size, Consumer<ByteBuffer> edit)
      throws IOException {
    raw(
        file,
        offset,
        size,
        buffer -> {
          edit.accept(buffer);
          VhdxFormat.sealChecksum(buffer);
        });
  }
}
