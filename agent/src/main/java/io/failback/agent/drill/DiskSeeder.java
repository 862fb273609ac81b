package io.failback.agent.drill;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Copies one disk's content into a new, empty disk of the same size on the same host, writing
 * only what is not zero: a dynamic VHDX target stays as thin as its source.
 */
final class DiskSeeder {
  /** Large enough to stream, small enough that a sparse source skips most of its holes. */
  static final int CHUNK = 1 << 20;

  record Copied(long bytesRead, long bytesWritten) {
    Copied plus(Copied other) {
      return new Copied(bytesRead + other.bytesRead, bytesWritten + other.bytesWritten);
    }
  }

  private DiskSeeder() {}

  /** Copies {@code from} into {@code to}, which reads as zeros throughout, and flushes it. */
  static Copied copy(BlockDevice from, BlockDevice to) throws IOException {
    if (from.size() != to.size()) {
      throw new IOException("the drill disk holds " + to.size() + " bytes, its source "
          + from.size());
    }
    ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
    long read = 0;
    long written = 0;
    for (long offset = 0; offset < from.size(); offset += CHUNK) {
      int length = (int) Math.min(CHUNK, from.size() - offset);
      if (from.isKnownZero(offset, length)) {
        continue;
      }
      buffer.clear().limit(length);
      from.read(offset, buffer);
      read += length;
      buffer.flip();
      if (isZero(buffer)) {
        continue;
      }
      to.write(offset, buffer);
      written += length;
    }
    to.flush();
    return new Copied(read, written);
  }

  private static boolean isZero(ByteBuffer buffer) {
    for (int i = buffer.position(); i + 8 <= buffer.limit(); i += 8) {
      if (buffer.getLong(i) != 0) {
        return false;
      }
    }
    for (int i = buffer.limit() & ~7; i < buffer.limit(); i++) {
      if (buffer.get(i) != 0) {
        return false;
      }
    }
    return true;
  }
}
