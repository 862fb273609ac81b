package io.failback.common.sync;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.TreeMap;

/**
 * The blocks a target lane wrote in this session, with the digest each was written with, so
 * that they can be read back from the disk and checked once they are durable: the proof of the
 * end state then rests on the bytes on disk, not on what was sent.
 */
final class WrittenBlocks {
  /** How many differing blocks a failure names; the count covers all of them. */
  private static final int NAMED = 8;

  private record Batch(long first, BitSet written, byte[] digests) {}

  private final LaneContext lane;
  /** By first block: a batch written again after a resume replaces its earlier record. */
  private final TreeMap<Long, Batch> batches = new TreeMap<>();

  WrittenBlocks(LaneContext lane) {
    this.lane = lane;
  }

  /** Keeps the blocks {@code written} (batch-relative) of a completed batch and their digests. */
  void add(long first, BitSet written, byte[] digests) {
    batches.put(first, new Batch(first, (BitSet) written.clone(), digests));
  }

  long count() {
    return batches.values().stream().mapToLong(b -> b.written.cardinality()).sum();
  }

  /**
   * Reads every written block back and compares its digest; returns null when all match, else
   * which blocks differ with their byte offsets.
   */
  String verify(ByteBuffer chunk) throws SyncException {
    List<String> named = new ArrayList<>();
    long differing = 0;
    int limit = lane.chunkBlocks();
    for (Batch batch : batches.values()) {
      for (int i = batch.written.nextSetBit(0); i >= 0; ) {
        int run = Math.min(limit, batch.written.nextClearBit(i) - i);
        lane.readBlocksBack(batch.first + i, run, chunk);
        for (int j = 0; j < run; j++) {
          long index = batch.first + i + j;
          int length = lane.geometry.blockLength(index);
          byte[] actual = lane.digester.digest(chunk.array(), j * lane.geometry.blockSize(),
              length);
          if (!Arrays.equals(actual, Digests.at(batch.digests, i + j, lane.digestLength()))) {
            differing++;
            if (named.size() < NAMED) {
              named.add(index + " (bytes " + lane.geometry.offsetOf(index) + "+" + length + ")");
            }
          }
        }
        i = batch.written.nextSetBit(i + run);
      }
    }
    return differing == 0 ? null : lane.describe() + ": " + differing + " of the " + count()
        + " blocks written read back different from what was written: block"
        + (named.size() > 1 ? "s " : " ") + String.join(", ", named)
        + (differing > named.size() ? ", …" : "");
  }
}
