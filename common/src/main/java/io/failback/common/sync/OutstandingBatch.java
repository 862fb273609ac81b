package io.failback.common.sync;

/**
 * What a lane's source keeps of a batch sent but not yet acknowledged: the chain it must be
 * acknowledged with, and its digests to check the blocks the target wants against; or of a run
 * of batches closed by one end ({@link BatchRun}), whose digests are not kept (null): recorded
 * already, or all of zero blocks.
 */
final class OutstandingBatch {
  final long first;
  final int count;
  final byte[] digests;
  final byte[] chainAfter;
  /** Whether the batch's end went out (the target's wants, if any, were answered). */
  boolean wantsAnswered;
  /** Frame bytes sent for it, which count against the lane's bytes in flight. */
  long bytes;

  OutstandingBatch(long first, int count, byte[] digests, byte[] chainAfter,
      boolean answered) {
    this.first = first;
    this.count = count;
    this.digests = digests;
    this.chainAfter = chainAfter;
    this.wantsAnswered = answered;
  }
}
