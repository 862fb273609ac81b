package io.failback.common.sync;

import io.failback.common.hash.LaneDigest;

/**
 * Consecutive whole batches of a TRACKED lane in which the source sends no block, closed by one
 * {@code BatchEnd} ({@code batches_per_end}).
 *
 * <p>Why: a phase 2 (the cloud VM is off: downtime) or a reverse replication of a large disk
 * the guest wrote little of is mostly such batches. One end per batch costs a round trip per
 * window of them, about a minute for 1 TiB at 120 ms on two lanes; one end per run costs a
 * round trip per window of runs, and a run stops only at a batch that has a written block.
 * Neither side keeps anything per batch of a run: both fold the digests recorded for it into
 * the lane's chain, batch by batch, and their digest sets hold those digests already.
 */
final class UnchangedRun {
  private UnchangedRun() {}

  /** Most batches one end may close in this session; 1 when runs are not allowed. */
  static int maxBatches(SessionGeometry geometry) {
    return Math.max(1, geometry.parameters().getBatchesPerEnd());
  }

  /**
   * The end of the run from {@code first} (a batch start): the first block after up to
   * {@code maxBatches} whole batches none of whose blocks is in {@code lane.changed};
   * {@code first} itself when its batch has one.
   */
  static long endFrom(LaneContext lane, long first, int maxBatches) {
    int changed = lane.changed.nextSetBit((int) first);
    long limit = changed < 0 || changed >= lane.end ? lane.end : changed;
    long end = first;
    for (int batches = 0; batches < maxBatches && end < lane.end; batches++) {
      long next = end + lane.geometry.batchLength(lane.lane, end);
      if (next > limit) {
        break;
      }
      end = next;
    }
    return end;
  }

  /**
   * Checks that {@code [first, first + count)} is whole batches of the lane from its watermark
   * {@code first}, at most {@code maxBatches} of them; returns how many.
   */
  static int batchesIn(LaneContext lane, long first, long count, int maxBatches)
      throws SyncException {
    long end = first;
    int batches = 0;
    while (end < first + count && end < lane.end && batches < maxBatches) {
      end += lane.geometry.batchLength(lane.lane, end);
      batches++;
    }
    if (end != first + count) {
      throw SyncException.invalid("%s: batch end [%d, +%d) is not up to %d whole batches from"
          + " the watermark %d", lane.describe(), first, count, maxBatches, first);
    }
    return batches;
  }

  /** Folds the digests recorded for {@code [first, end)} into {@code chain}, batch by batch. */
  static void foldRecorded(LaneContext lane, LaneDigest chain, long first, long end)
      throws SyncException {
    int length = lane.digestLength();
    for (long batch = first; batch < end; ) {
      int count = lane.geometry.batchLength(lane.lane, batch);
      byte[] packed = lane.recorded(batch, count);
      byte[][] digests = new byte[count][];
      for (int i = 0; i < count; i++) {
        digests[i] = Digests.at(packed, i, length);
      }
      chain.addBatch(batch, digests);
      batch += count;
    }
  }
}
