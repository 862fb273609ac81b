package io.failback.common.sync;

import io.failback.common.hash.LaneDigest;

/**
 * Consecutive whole batches of a lane that one {@code BatchEnd} closes
 * ({@code batches_per_end}): in a TRACKED session batches the guest did not write (the source
 * sends nothing for them), in a FULL or DELTA session batches the source knows to be zeros (one
 * {@code ZeroRange} covers them; a DELTA target zeroes only what it does not hold as zeros).
 *
 * <p>Why: a phase 2 (the cloud VM is off: downtime) or a reverse replication of a large disk
 * the guest wrote little of is mostly such batches, and so is a full download or a phase 1 of
 * a thin disk.
 * One end per batch costs a round trip per window of them, about a minute for 1 TiB at 120 ms
 * on two lanes; one end per run costs a round trip per window of runs.
 */
final class BatchRun {
  private BatchRun() {}

  /** Most batches one end may close in this session; 1 when runs are not allowed. */
  static int maxBatches(SessionGeometry geometry) {
    return Math.max(1, geometry.parameters().getBatchesPerEnd());
  }

  /**
   * TRACKED: the end of the run from {@code first} (a batch start): the first block after up
   * to {@code maxBatches} whole batches none of whose blocks is in {@code lane.changed};
   * {@code first} itself when its batch has one.
   */
  static long unchangedFrom(LaneContext lane, long first, int maxBatches) {
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
   * FULL and DELTA: the end of the run from {@code first} (a batch start) of up to {@code maxBatches}
   * whole batches the source's device knows to be zeros (a hole, an unallocated range).
   */
  static long zerosFrom(LaneContext lane, long first, int maxBatches) throws SyncException {
    long end = first;
    for (int batches = 0; batches < maxBatches && end < lane.end; batches++) {
      int count = lane.geometry.batchLength(lane.lane, end);
      if (!lane.knownZero(end, count)) {
        break;
      }
      end += count;
    }
    return end;
  }

  /**
   * Checks that {@code [first, first + count)}, which {@code what} (a batch end, a zero range)
   * covers, is whole batches of the lane from its watermark {@code first}, at most as many as
   * the session allows.
   */
  static void checkWholeBatches(LaneContext lane, String what, long first, long count)
      throws SyncException {
    int maxBatches = maxBatches(lane.geometry);
    long end = first;
    int batches = 0;
    while (end < first + count && end < lane.end && batches < maxBatches) {
      end += lane.geometry.batchLength(lane.lane, end);
      batches++;
    }
    if (end != first + count) {
      throw SyncException.invalid("%s: %s [%d, +%d) is not up to %d whole batches from the"
          + " watermark %d", lane.describe(), what, first, count, maxBatches, first);
    }
  }

  /** Folds the digests recorded for {@code [first, end)} into {@code chain}, batch by batch. */
  static void foldRecorded(LaneContext lane, LaneDigest chain, long first, long end)
      throws SyncException {
    for (long batch = first; batch < end; ) {
      int count = lane.geometry.batchLength(lane.lane, batch);
      chain.addBatch(batch, Digests.split(lane.recorded(batch, count), count,
          lane.digestLength()));
      batch += count;
    }
  }

  /** The digests of {@code count} zero blocks from {@code first}, concatenated. */
  static byte[] zeroDigests(LaneContext lane, long first, int count) {
    byte[] packed = new byte[count * lane.digestLength()];
    for (int i = 0; i < count; i++) {
      byte[] zero = lane.digester.zeroBlockDigest(lane.geometry.blockLength(first + i));
      System.arraycopy(zero, 0, packed, i * zero.length, zero.length);
    }
    return packed;
  }
}
