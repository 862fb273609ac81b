package io.failback.controller.cloud.kvm;

import io.failback.common.nbd.NbdClient;
import io.failback.common.nbd.NbdExtent;
import io.failback.controller.cloud.CloudException;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/** Reads a dirty bitmap through NBD block status as the indexes of changed blocks. */
final class DirtyBlocks {
  private DirtyBlocks() {}

  /** Refuses a block size that is not a power of two of at least 4096. */
  static void checkBlockSize(int blockSize) throws CloudException {
    if (blockSize < 4096 || Integer.bitCount(blockSize) != 1) {
      throw CloudException.invalid("block size %d is not a power of two of at least 4096",
          blockSize);
    }
  }

  /**
   * Indexes of the {@code blockSize}-byte blocks that overlap a dirty extent of {@code context},
   * ascending: a block counts as changed if any byte of it was written, so a granule larger or
   * smaller than the block never hides a change.
   */
  static long[] read(NbdClient client, String context, int blockSize) throws IOException {
    long[] out = new long[16];
    int count = 0;
    long size = client.size();
    long nextFree = 0; // the first block not yet listed: extents come in order
    for (long position = 0; position < size; ) {
      int ask = (int) Math.min(size - position, 1L << 30);
      List<NbdExtent> extents = client.blockStatus(context, position, ask);
      for (NbdExtent extent : extents) {
        if (!extent.has(NbdExtent.DIRTY) || extent.length() == 0) {
          continue;
        }
        long first = Math.max(nextFree, extent.offset() / blockSize);
        long last = (Math.min(extent.end(), size) - 1) / blockSize;
        for (long block = first; block <= last; block++) {
          if (count == out.length) {
            out = Arrays.copyOf(out, out.length * 2);
          }
          out[count++] = block;
        }
        nextFree = Math.max(nextFree, last + 1);
      }
      position = extents.get(extents.size() - 1).end();
    }
    return Arrays.copyOf(out, count);
  }
}
