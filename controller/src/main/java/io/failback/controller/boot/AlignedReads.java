package io.failback.controller.boot;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Reads of any bytes from a disk that reads whole sectors only. */
final class AlignedReads {
  private AlignedReads() {}

  /**
   * {@code length} bytes at {@code offset} of {@code disk}: the sectors around them are read,
   * and the bytes asked for returned (position 0, limit {@code length}).
   */
  static ByteBuffer read(BlockDevice disk, long offset, int length) throws IOException {
    if (offset < 0 || length < 0 || offset + length > disk.size()) {
      throw new IOException("read of " + length + " bytes at " + offset + " beyond the disk's "
          + disk.size());
    }
    int sector = disk.logicalSectorSize();
    long start = offset - offset % sector;
    long end = Math.min(disk.size(), (offset + length + sector - 1) / sector * sector);
    ByteBuffer whole = ByteBuffer.allocate((int) (end - start));
    disk.read(start, whole);
    return whole.position((int) (offset - start)).limit((int) (offset - start) + length)
        .slice();
  }
}
