package io.failback.controller.tuning;

import io.failback.proto.v1.SyncMode;

/**
 * How many batches a lane keeps unacknowledged ({@code window_batches}), by how the session
 * compares.
 *
 * <p>A DELTA batch is acknowledged two round trips after its digests leave the source (digests
 * out, wants back, blocks and the batch's end out, the acknowledgement back), so over a WAN
 * a lane scans at most a window of batches per two round trips: with 8 batches of 16 MiB, a
 * 2 GiB checksum pass over 2 lanes took 2.3 s at 120 ms where 64 took 0.9 s (`bench/wan`,
 * docs/BENCHMARKS.md). An unacknowledged DELTA batch costs its digests at both ends (4 KiB for
 * 256 blocks) and no block data, so the window is the largest the protocol allows.
 *
 * <p>FULL and TRACKED batches carry their blocks: a link cut re-sends what is unacknowledged,
 * so their window stays at 8 batches per lane (128 MiB of 64 KiB blocks), which already keeps
 * 1 Gbit/s at 120 ms full on 2 lanes.
 */
public final class BatchWindow {
  /** The most batches a session may keep unacknowledged (SessionGeometry's bound). */
  public static final int MAX = 64;

  /** The window of batches that carry their blocks. */
  public static final int BLOCKS = 8;

  private BatchWindow() {}

  /** The window of a session in {@code mode}. */
  public static int of(SyncMode mode) {
    return mode == SyncMode.DELTA ? MAX : BLOCKS;
  }
}
