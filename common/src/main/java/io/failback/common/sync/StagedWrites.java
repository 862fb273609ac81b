package io.failback.common.sync;

import io.failback.common.hash.ZeroBlocks;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The writes of FULL batches into a disk that preserves what it overwrites (an undo journal):
 * a block the disk already holds is neither preserved nor written; the others are held until
 * {@link #LIMIT_BYTES} of them are staged or the batch ends, then preserved in one durable step
 * and written.
 *
 * <p>Why: a full download back onto the original host lands on a disk that mostly still holds
 * the same data. Writing every block there cost the journal a copy of the old bytes and the
 * disk the new ones, both forced: twice the disk's data in durable writes for blocks that did not
 * change (docs/BENCHMARKS.md, "full download onto a disk that holds most of it"). The comparison
 * reads the disk around the page cache, so a block left alone is proved as one written and read
 * back is.
 */
final class StagedWrites {
  /** Bytes of staged blocks a lane holds at most. */
  static final int LIMIT_BYTES = 4 << 20;
  /** Staged blocks at most (zero blocks hold no bytes). */
  static final int LIMIT_BLOCKS = 4096;

  private final LaneContext lane;
  private final BlockApplier applier;
  /** Blocks {@code [oldFrom, oldFrom + oldCount)} as the disk held them, read ahead. */
  private final ByteBuffer old;
  private long oldFrom = -1;
  private int oldCount;
  private boolean oldZero;
  private final List<Long> indexes = new ArrayList<>();
  /** The bytes of each staged block; null for zeros. */
  private final List<byte[]> contents = new ArrayList<>();
  private long bytes;

  StagedWrites(LaneContext lane, BlockApplier applier) {
    this.lane = lane;
    this.applier = applier;
    this.old = ByteBuffer.allocate(lane.chunkBlocks() * lane.geometry.blockSize());
  }

  /**
   * Stages block {@code index} to become the checked bytes unless the disk holds them already;
   * they are copied only then (the check's bytes are only lent until the next block).
   *
   * @return whether the block is written (now or at the next {@link #flush})
   */
  boolean stage(long index, BlockApplier.Checked block) throws SyncException {
    if (holds(index, block.data(), block.offset(), block.length())) {
      lane.progress.blocksEqual.incrementAndGet();
      return false;
    }
    add(index, Arrays.copyOfRange(block.data(), block.offset(), block.offset() + block.length()));
    return true;
  }

  /**
   * Stages block {@code index} to become zeros unless the disk holds zeros there already.
   *
   * @return whether the block is written (now or at the next {@link #flush})
   */
  boolean stageZeros(long index) throws SyncException {
    if (holds(index, null, 0, 0)) {
      lane.progress.blocksEqual.incrementAndGet();
      return false;
    }
    lane.progress.blocksZero.incrementAndGet();
    add(index, null);
    return true;
  }

  private void add(long index, byte[] data) throws SyncException {
    indexes.add(index);
    contents.add(data);
    bytes += data == null ? 0 : data.length;
    if (bytes >= LIMIT_BYTES || indexes.size() >= LIMIT_BLOCKS) {
      flush();
    }
  }

  /** Preserves the staged blocks in one durable step, then writes them. */
  void flush() throws SyncException {
    if (indexes.isEmpty()) {
      return;
    }
    long first = indexes.stream().mapToLong(Long::longValue).min().orElseThrow();
    long last = indexes.stream().mapToLong(Long::longValue).max().orElseThrow();
    int span = Math.toIntExact(last - first + 1);
    byte[] staged = new byte[(span + 7) / 8];
    for (long index : indexes) {
      int i = Math.toIntExact(index - first);
      staged[i >> 3] |= (byte) (1 << (i & 7));
    }
    lane.announceOverwrite(first, span, staged);
    for (int i = 0; i < indexes.size(); ) {
      if (contents.get(i) != null) {
        applier.write(indexes.get(i), contents.get(i), 0, contents.get(i).length);
        i++;
        continue;
      }
      // Adjacent zero blocks as one range: a VHDX deallocates whole blocks.
      int j = i + 1;
      while (j < indexes.size() && contents.get(j) == null
          && indexes.get(j) == indexes.get(i) + (j - i)) {
        j++;
      }
      applier.zero(indexes.get(i), j - i);
      i = j;
    }
    indexes.clear();
    contents.clear();
    bytes = 0;
  }

  /**
   * Whether the disk holds {@code length} bytes of {@code data} from {@code offset} (null:
   * zeros) at block {@code index} already.
   */
  private boolean holds(long index, byte[] data, int offset, int length) throws SyncException {
    if (index < oldFrom || index >= oldFrom + oldCount) {
      readOld(index);
    }
    if (oldZero) {
      return data == null || ZeroBlocks.isAllZero(data, offset, length);
    }
    int at = Math.toIntExact(index - oldFrom) * lane.geometry.blockSize();
    int blockLength = lane.geometry.blockLength(index);
    byte[] held = old.array();
    return data == null ? ZeroBlocks.isAllZero(held, at, blockLength)
        : length == blockLength
            && Arrays.equals(held, at, at + blockLength, data, offset, offset + length);
  }

  /**
   * Reads the chunk of the lane that starts at block {@code from}: blocks arrive in order, and
   * one read of a chunk around the page cache costs about what one of a block does.
   */
  private void readOld(long from) throws SyncException {
    oldFrom = from;
    oldCount = (int) Math.min(lane.chunkBlocks(), lane.end - from);
    oldZero = lane.knownZero(from, oldCount);
    if (!oldZero) {
      lane.readBlocksBack(from, oldCount, old);
    }
  }
}
