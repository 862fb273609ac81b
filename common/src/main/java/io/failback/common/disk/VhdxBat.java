package io.failback.common.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The payload entries of a VHDX block allocation table (MS-VHDX 2.5), validated when loaded, cached
 * in memory and written through to the file.
 *
 * <p>Memory: one long per payload block (256 KiB for 1 TiB in 32 MiB blocks), as in qemu; sector
 * bitmap entries are not kept. Threading: entries are read without locks; callers serialize changes
 * to one block (see {@link VhdxAllocator#lock}).
 */
final class VhdxBat {
  static final int NOT_PRESENT = 0;
  static final int ZERO = 2;
  static final int FULLY_PRESENT = 6;
  private static final int UNKNOWN_STATE = 4;
  private static final int PARTIALLY_PRESENT = 7;
  private static final long STATE_MASK = 7;

  /** Bits 20-63: the file offset in MiB, which is the byte offset with the low 20 bits clear. */
  private static final long OFFSET_MASK = -1L << 20;

  private final Path file;
  private final FileChannel channel;
  private final VhdxInfo info;
  private final AtomicLongArray entries;

  private VhdxBat(Path file, FileChannel channel, VhdxInfo info, AtomicLongArray entries) {
    this.file = file;
    this.channel = channel;
    this.info = info;
    this.entries = entries;
  }

  /**
   * Reads every payload entry and checks that present blocks lie inside the file, clear of the
   * headers, regions, log and each other, so that a corrupt BAT can never direct a write onto
   * metadata or another block.
   */
  static VhdxBat load(Path file, FileChannel channel, VhdxReader.Layout layout) throws IOException {
    VhdxInfo info = layout.info();
    AtomicLongArray entries = new AtomicLongArray(Math.toIntExact(info.payloadBlockCount()));
    long fileSize = channel.size();
    long count = info.batEntryCount();
    long bitmapEvery = info.chunkRatio() + 1;
    int perChunk = DeviceIo.CHUNK / 8;
    ByteBuffer chunk = VhdxFormat.allocate(DeviceIo.CHUNK);
    int block = 0;
    for (long first = 0; first < count; first += perChunk) {
      int n = (int) Math.min(perChunk, count - first);
      chunk.clear().limit(n * 8);
      DeviceIo.readFully(channel, chunk, info.batOffset() + first * 8, file);
      for (int i = 0; i < n; i++) {
        if ((first + i) % bitmapEvery == info.chunkRatio()) {
          continue; // a sector bitmap entry: only differencing disks use their blocks
        }
        long entry = chunk.getLong(i * 8);
        checkEntry(file, info, layout.structures(), fileSize, block, entry);
        entries.set(block++, entry);
      }
    }
    checkNoOverlap(file, info.blockSize(), entries);
    return new VhdxBat(file, channel, info, entries);
  }

  static int state(long entry) {
    return (int) (entry & STATE_MASK);
  }

  static long fileOffset(long entry) {
    return entry & OFFSET_MASK;
  }

  /** States 0-3 and 5 read as zeros on a disk without a parent; loading rejected 4 and 7. */
  static boolean readsAsZero(long entry) {
    return state(entry) != FULLY_PRESENT;
  }

  static long fullyPresent(long fileOffset) {
    return fileOffset | FULLY_PRESENT;
  }

  /** ZERO with offset 0: Hyper-V refuses a ZERO entry that keeps a file offset. */
  static long zero() {
    return ZERO;
  }

  long entry(long block) {
    return entries.get((int) block);
  }

  /**
   * Writes the entry of {@code block} in the file and in the cache, then makes it durable.
   *
   * <p>A single aligned 8-byte write: the entry on disk is either the old or the new one, so no log
   * is needed as long as whatever the new entry points at is durable first.
   */
  void update(long block, long entry) throws IOException {
    long batIndex = block + block / info.chunkRatio();
    ByteBuffer bytes = VhdxFormat.allocate(8).putLong(0, entry);
    DeviceIo.writeFully(channel, bytes, info.batOffset() + batIndex * 8);
    entries.set((int) block, entry);
    channel.force(true);
  }

  private static void checkEntry(
      Path file,
      VhdxInfo info,
      List<VhdxReader.Extent> structures,
      long fileSize,
      long block,
      long entry)
      throws DiskFormatException {
    int state = state(entry);
    if (state == PARTIALLY_PRESENT || state == UNKNOWN_STATE) {
      throw new DiskFormatException(
          file,
          String.format(
              "BAT entry of payload block %d has state %d, which a %s disk cannot have",
              block, state, info.type()));
    }
    if (state != FULLY_PRESENT) {
      return;
    }
    long offset = fileOffset(entry);
    if (offset > fileSize - info.blockSize()) {
      throw new DiskFormatException(
          file,
          String.format(
              "payload block %d at offset %d ends past the end of the file (%d bytes):"
                  + " the file was truncated",
              block, offset, fileSize));
    }
    for (VhdxReader.Extent s : structures) {
      if (offset < s.end() && s.offset() < offset + info.blockSize()) {
        throw new DiskFormatException(
            file,
            String.format(
                "payload block %d at offset %d overlaps the %s", block, offset, s.name()));
      }
    }
  }

  private static void checkNoOverlap(Path file, int blockSize, AtomicLongArray entries)
      throws DiskFormatException {
    long[] offsets = new long[entries.length()];
    int present = 0;
    for (int b = 0; b < entries.length(); b++) {
      if (state(entries.get(b)) == FULLY_PRESENT) {
        offsets[present++] = fileOffset(entries.get(b));
      }
    }
    Arrays.sort(offsets, 0, present);
    for (int i = 1; i < present; i++) {
      if (offsets[i] - offsets[i - 1] < blockSize) {
        throw new DiskFormatException(
            file,
            String.format(
                "two payload blocks overlap at file offsets %d and %d",
                offsets[i - 1], offsets[i]));
      }
    }
  }
}
