package io.failback.controller.cloud;

import static io.failback.controller.cloud.ChunkStore.CHUNK;

import java.util.Arrays;

/** Converts a snapshot's changed 64 KiB chunks into changed blocks of the caller's size. */
final class ChangedBlocks {
  static final int MIN_BLOCK_SIZE = 4096;

  private ChangedBlocks() {}

  static boolean isValidBlockSize(int blockSize) {
    return blockSize >= MIN_BLOCK_SIZE && Integer.bitCount(blockSize) == 1;
  }

  /**
   * Indexes of the blocks that overlap a changed chunk, ascending: a block larger than a chunk
   * changed if any of its chunks did, and every block inside a changed chunk counts as changed.
   */
  static long[] of(ChunkStore store, int blockSize) {
    long blocks = (store.diskSize() + blockSize - 1) / blockSize;
    long[] out = new long[16];
    int count = 0;
    if (blockSize >= CHUNK) {
      int chunksPerBlock = blockSize / CHUNK;
      for (long block = 0; block < blocks; block++) {
        long first = block * chunksPerBlock;
        long last = Math.min(store.chunkCount(), first + chunksPerBlock);
        for (long chunk = first; chunk < last; chunk++) {
          if (store.changed(chunk)) {
            out = grow(out, count);
            out[count++] = block;
            break;
          }
        }
      }
    } else {
      int blocksPerChunk = CHUNK / blockSize;
      for (long chunk = 0; chunk < store.chunkCount(); chunk++) {
        if (store.changed(chunk)) {
          long end = Math.min(blocks, (chunk + 1) * blocksPerChunk);
          for (long block = chunk * blocksPerChunk; block < end; block++) {
            out = grow(out, count);
            out[count++] = block;
          }
        }
      }
    }
    return Arrays.copyOf(out, count);
  }

  private static long[] grow(long[] out, int count) {
    return count < out.length ? out : Arrays.copyOf(out, out.length * 2);
  }
}
