package io.failback.controller.tuning;

import io.failback.proto.v1.SyncMode;

/**
 * How many batches a lane keeps unacknowledged ({@code window_batches}): the most the protocol
 * allows, whatever the session's mode.
 *
 * <p>A batch is acknowledged one round trip after its end leaves (FULL, TRACKED), a DELTA batch
 * two after its digests leave (digests out, wants back, blocks and the batch's end out, the
 * acknowledgement back), so over a WAN a lane moves at most a window of batches per round trip
 * or two. A batch that carries no blocks (a checksum batch, a TRACKED batch the guest did not
 * write, a FULL batch of zeros) costs a few bytes, so only a large window keeps a pass over
 * such batches from waiting on round trips: a 2 GiB identical checksum pass over 2 lanes took
 * 2.3 s at 120 ms with a window of 8, 0.8 s with 64 (`bench/wan`, docs/BENCHMARKS.md). Batches
 * that do carry blocks are held back by the source's byte budget instead (8 full batches,
 * 128 MiB per lane), which bounds what a cut link sends again.
 */
public final class BatchWindow {
  /** The most batches a session may keep unacknowledged (SessionGeometry's bound). */
  public static final int BATCHES = 64;

  /**
   * How many whole batches the guest did not write one batch end closes in a TRACKED session
   * ({@code batches_per_end}): 4,096 batches of 256 blocks of 64 KiB, 64 GiB. A phase 2 (the
   * cloud VM is off) then waits a round trip per 64 such runs instead of per 64 batches (1 GiB):
   * over 1 TiB the guest hardly wrote, at 120 ms on 2 lanes, about one round trip where it was
   * about 500, a minute of downtime. The bound keeps what one end makes the target do before it
   * answers (fold 16 MiB of recorded digests into its chain) short beside a round trip.
   */
  public static final int BATCHES_PER_END = 4096;

  /**
   * The same for a FULL session's batches of zeros (a thin disk's holes): 256 batches, 4 GiB.
   * Smaller, because the target may have to read what it holds there before it answers (a
   * disk that keeps an undo journal writes only blocks that differ): about 40 s at 100 MB/s,
   * so acknowledgements keep coming well inside the stall timeout (5 minutes). 1 TiB of holes
   * on 2 lanes is 128 runs per lane, two windows: a few round trips where it was about 500.
   * DELTA sessions take the same for the source's holes (phase 1 of a thin disk): the target
   * reads and hashes what it holds there, as it would for a checksum batch.
   */
  public static final int ZERO_BATCHES_PER_END = 256;

  private BatchWindow() {}

  /** How many whole batches one batch end may close in a session of {@code mode}. */
  public static int batchesPerEnd(SyncMode mode) {
    return switch (mode) {
      case TRACKED -> BATCHES_PER_END;
      case FULL, DELTA -> ZERO_BATCHES_PER_END;
      default -> 0;
    };
  }
}
