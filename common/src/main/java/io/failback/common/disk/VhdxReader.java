package io.failback.common.disk;

import static io.failback.common.disk.VhdxFormat.BAT_REGION;
import static io.failback.common.disk.VhdxFormat.HEADER_OFFSETS;
import static io.failback.common.disk.VhdxFormat.HEADER_SECTION_SIZE;
import static io.failback.common.disk.VhdxFormat.HEADER_SIGNATURE;
import static io.failback.common.disk.VhdxFormat.HEADER_SIZE;
import static io.failback.common.disk.VhdxFormat.MAX_REGION_ENTRIES;
import static io.failback.common.disk.VhdxFormat.METADATA_REGION;
import static io.failback.common.disk.VhdxFormat.MIB;
import static io.failback.common.disk.VhdxFormat.REGION_REQUIRED;
import static io.failback.common.disk.VhdxFormat.REGION_TABLE_OFFSETS;
import static io.failback.common.disk.VhdxFormat.REGION_TABLE_SIGNATURE;
import static io.failback.common.disk.VhdxFormat.REGION_TABLE_SIZE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Parses the file identifier, headers and region table of a VHDX file; see MS-VHDX 2.2. */
final class VhdxReader {
  /** A file extent: a region, or the log. */
  record Extent(String name, long offset, long length) {
    long end() {
      return offset + length;
    }
  }

  private record Regions(Extent bat, Extent metadata) {}

  private final Path file;
  private final FileChannel channel;
  private final long fileSize;

  private VhdxReader(Path file, FileChannel channel) throws IOException {
    this.file = file;
    this.channel = channel;
    this.fileSize = channel.size();
  }

  /**
   * What an open VHDX file's structures say, and where they lie, for {@link VhdxDevice}.
   *
   * @param currentHeader index (0 or 1) of the header slot in use
   * @param header the 4 KiB of the current header
   * @param structures the header section, the regions and the log: payload blocks must not
   *     overlap them
   */
  record Layout(VhdxInfo info, int currentHeader, ByteBuffer header, List<Extent> structures) {}

  private record Header(int index, ByteBuffer bytes) {}

  static VhdxInfo read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return read(file, channel).info();
    }
  }

  static Layout read(Path file, FileChannel channel) throws IOException {
    VhdxReader reader = new VhdxReader(file, channel);
    reader.checkFileIdentifier();
    Header header = reader.currentHeader();
    Regions regions = reader.regions();
    List<Extent> extents = new ArrayList<>(List.of(regions.bat(), regions.metadata()));
    Extent log = log(header.bytes());
    if (log.length() > 0) {
      extents.add(log);
    }
    reader.checkPlacement(extents);
    VhdxMetadata meta = VhdxMetadata.read(reader, regions.metadata());
    VhdxInfo info =
        new VhdxInfo(
            meta.type(),
            meta.virtualSize(),
            meta.blockSize(),
            meta.logicalSectorSize(),
            meta.physicalSectorSize(),
            !isZero(VhdxFormat.getGuid(header.bytes(), 48)),
            regions.bat().offset(),
            regions.bat().length());
    if (info.batEntryCount() * 8 > info.batLength()) {
      throw reader.corrupt(
          "BAT region (%d bytes) is too small for the %d entries of a %s disk of %d bytes",
          info.batLength(), info.batEntryCount(), info.type(), info.virtualSize());
    }
    extents.add(new Extent("header section", 0, HEADER_SECTION_SIZE));
    return new Layout(info, header.index(), header.bytes(), List.copyOf(extents));
  }

  DiskFormatException corrupt(String format, Object... args) {
    return new DiskFormatException(file, String.format(format, args));
  }

  /** Reads {@code size} bytes at {@code offset}, failing if the file ends first. */
  ByteBuffer readAt(long offset, int size) throws IOException {
    ByteBuffer buffer = VhdxFormat.allocate(size);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, offset + buffer.position()) < 0) {
        throw corrupt(
            "truncated: %d bytes, but a structure at offset %d needs %d bytes",
            fileSize, offset, size);
      }
    }
    return buffer.clear();
  }

  private void checkFileIdentifier() throws IOException {
    if (fileSize < 8 || readAt(0, 8).getLong(0) != VhdxFormat.FILE_ID_SIGNATURE) {
      throw corrupt("not a VHDX file (no 'vhdxfile' signature at offset 0)");
    }
    if (fileSize < HEADER_SECTION_SIZE) {
      throw corrupt("truncated: %d bytes, shorter than the 1 MiB VHDX header section", fileSize);
    }
  }

  /** The valid header with the higher sequence number (MS-VHDX 2.2.2.1). */
  private Header currentHeader() throws IOException {
    ByteBuffer[] headers = new ByteBuffer[2];
    String[] problems = new String[2];
    for (int i = 0; i < 2; i++) {
      headers[i] = readAt(HEADER_OFFSETS[i], HEADER_SIZE);
      problems[i] = structureProblem(headers[i], HEADER_SIGNATURE, "head");
    }
    int current;
    if (problems[0] != null && problems[1] != null) {
      throw corrupt(
          "header 1 and header 2 are both invalid (header 1 %s; header 2 %s)",
          problems[0], problems[1]);
    } else if (problems[0] != null || problems[1] != null) {
      current = problems[0] == null ? 0 : 1;
    } else {
      int order = Long.compareUnsigned(headers[0].getLong(8), headers[1].getLong(8));
      if (order == 0 && !headers[0].equals(headers[1])) {
        throw corrupt(
            "header 1 and header 2 differ but carry the same sequence number %s",
            Long.toUnsignedString(headers[0].getLong(8)));
      }
      current = order >= 0 ? 0 : 1;
    }
    int version = Short.toUnsignedInt(headers[current].getShort(66));
    if (version != 1) {
      throw corrupt("unsupported VHDX version %d in the current header (expected 1)", version);
    }
    return new Header(current, headers[current]);
  }

  /** Why a header or region table must not be used, or null when its signature and CRC hold. */
  private static String structureProblem(ByteBuffer structure, int signature, String name) {
    if (structure.getInt(0) != signature) {
      return "has no '" + name + "' signature";
    }
    int stored = structure.getInt(4);
    int computed = VhdxFormat.checksum(structure);
    if (stored != computed) {
      return String.format("fails its CRC-32C (stored 0x%08x, computed 0x%08x)", stored, computed);
    }
    return null;
  }

  /** The log extent named by the current header; placement is checked with the regions. */
  private static Extent log(ByteBuffer header) {
    return new Extent("log", header.getLong(72), Integer.toUnsignedLong(header.getInt(68)));
  }

  /** The BAT and metadata regions of the first region table that is valid (MS-VHDX 2.2.3). */
  private Regions regions() throws IOException {
    ByteBuffer table = null;
    String[] problems = new String[2];
    for (int i = 0; i < 2 && table == null; i++) {
      ByteBuffer candidate = readAt(REGION_TABLE_OFFSETS[i], REGION_TABLE_SIZE);
      problems[i] = structureProblem(candidate, REGION_TABLE_SIGNATURE, "regi");
      table = problems[i] == null ? candidate : null;
    }
    if (table == null) {
      throw corrupt(
          "region table 1 and region table 2 are both invalid (table 1 %s; table 2 %s)",
          problems[0], problems[1]);
    }
    long count = Integer.toUnsignedLong(table.getInt(8));
    if (count > MAX_REGION_ENTRIES) {
      throw corrupt("region table has %d entries, at most %d allowed", count, MAX_REGION_ENTRIES);
    }
    Extent bat = null;
    Extent metadata = null;
    for (int i = 0; i < count; i++) {
      int at = 16 + 32 * i;
      UUID guid = VhdxFormat.getGuid(table, at);
      long offset = table.getLong(at + 16);
      long length = Integer.toUnsignedLong(table.getInt(at + 24));
      if (BAT_REGION.equals(guid)) {
        bat = unique(bat, new Extent("BAT", offset, length));
      } else if (METADATA_REGION.equals(guid)) {
        metadata = unique(metadata, new Extent("metadata", offset, length));
      } else if ((table.getInt(at + 28) & REGION_REQUIRED) != 0) {
        // MS-VHDX: a reader must refuse a file with a required region it does not understand.
        throw corrupt("unknown region %s is marked required: cannot read this VHDX safely", guid);
      }
    }
    if (bat == null || metadata == null) {
      throw corrupt("region table has no %s region", bat == null ? "BAT" : "metadata");
    }
    return new Regions(bat, metadata);
  }

  private Extent unique(Extent previous, Extent region) throws DiskFormatException {
    if (previous != null) {
      throw corrupt("region table lists the %s region twice", region.name());
    }
    return region;
  }

  /** Regions and log: 1 MiB aligned after the header section, inside the file, disjoint. */
  private void checkPlacement(List<Extent> extents) throws DiskFormatException {
    for (Extent e : extents) {
      boolean aligned = e.offset() % MIB == 0 && e.length() % MIB == 0 && e.length() > 0;
      if (!aligned || e.offset() < HEADER_SECTION_SIZE) {
        throw corrupt(
            "%s region at offset %d with length %d is not 1 MiB aligned after the header section",
            e.name(), e.offset(), e.length());
      }
      if (e.offset() > fileSize - e.length()) { // offset + length could overflow
        throw corrupt(
            "truncated: %d bytes, but the %s region ends at offset %d",
            fileSize, e.name(), e.end());
      }
      for (Extent other : extents) {
        if (other != e && e.offset() < other.end() && other.offset() < e.end()) {
          throw corrupt("%s region overlaps the %s region", e.name(), other.name());
        }
      }
    }
  }

  private static boolean isZero(UUID guid) {
    return guid.getMostSignificantBits() == 0 && guid.getLeastSignificantBits() == 0;
  }
}
