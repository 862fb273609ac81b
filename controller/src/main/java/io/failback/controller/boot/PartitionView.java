package io.failback.controller.boot;

import java.io.IOException;
import java.nio.ByteBuffer;

/** One partition of a disk, read-only, as fat32-lib reads a device. */
final class PartitionView implements de.waldheinz.fs.BlockDevice {
  private final io.failback.common.disk.BlockDevice disk;
  private final GptEsp.Extent extent;
  private boolean closed;

  PartitionView(io.failback.common.disk.BlockDevice disk, GptEsp.Extent extent) {
    this.disk = disk;
    this.extent = extent;
  }

  @Override
  public long getSize() {
    return extent.length();
  }

  @Override
  public void read(long offset, ByteBuffer dst) throws IOException {
    if (offset < 0 || offset + dst.remaining() > extent.length()) {
      throw new IOException("read of " + dst.remaining() + " bytes at " + offset
          + " beyond the partition's " + extent.length());
    }
    dst.put(readAligned(disk, extent.offset() + offset, dst.remaining()));
  }

  /**
   * {@code length} bytes at {@code offset} of {@code disk}, which reads whole sectors only:
   * the sectors around them are read, and the bytes asked for returned (position 0).
   */
  static ByteBuffer readAligned(io.failback.common.disk.BlockDevice disk, long offset,
      int length) throws IOException {
    int sector = disk.logicalSectorSize();
    long start = offset - offset % sector;
    long end = Math.min(disk.size(), (offset + length + sector - 1) / sector * sector);
    ByteBuffer whole = ByteBuffer.allocate((int) (end - start));
    disk.read(start, whole);
    return whole.position((int) (offset - start)).limit((int) (offset - start) + length)
        .slice();
  }

  @Override
  public void write(long offset, ByteBuffer src) throws de.waldheinz.fs.ReadOnlyException {
    throw new de.waldheinz.fs.ReadOnlyException(); // the guest's disk is only looked at
  }

  @Override
  public void flush() {}

  @Override
  public int getSectorSize() {
    return disk.logicalSectorSize();
  }

  /** Leaves the disk open: its owner closes it. */
  @Override
  public void close() {
    closed = true;
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public boolean isReadOnly() {
    return true;
  }
}
