package io.failback.common.codec;

/**
 * Whether a lane tries to compress its next block: it stops trying on a run of blocks that do
 * not compress, and tries again at growing intervals.
 *
 * <p>Why: a disk that is encrypted (BitLocker, LUKS), or full of media and archives, does not
 * compress at all, and trying cost the source CPU for every block while saving nothing. A full
 * download of such a disk over loopback spent 12 % of its source lane's CPU in zstd level 1 for
 * no byte saved (docs/BENCHMARKS.md). A disk's content changes by region, so after
 * {@link #GIVE_UP_AFTER} incompressible blocks in a row the lane skips blocks, probing one block
 * after each skip; every failed probe doubles the skip up to {@link #MAX_SKIP}, and a block
 * that compresses restores trying every block. What that can cost: at most {@link #MAX_SKIP}
 * blocks sent raw at the start of a compressible region.
 *
 * <p>Threading: one per lane, used by the lane's thread only.
 */
public final class CompressionBackoff {
  /** Incompressible blocks in a row before the lane stops trying: 1 MiB of 64 KiB blocks. */
  static final int GIVE_UP_AFTER = 16;
  /** The first skip, in blocks. */
  static final int FIRST_SKIP = 16;
  /** The longest skip, in blocks: 64 MiB of 64 KiB blocks. */
  static final int MAX_SKIP = 1024;

  private int failuresInARow;
  private int skip;
  private int skipLeft;

  /** Whether to try compressing the next block; a false counts the block as skipped. */
  public boolean shouldTry() {
    if (skipLeft > 0) {
      skipLeft--;
      return false;
    }
    return true;
  }

  /** Reports a tried block: whether compressing it was kept (saved enough). */
  public void tried(boolean kept) {
    if (kept) {
      failuresInARow = 0;
      skip = 0;
      return;
    }
    failuresInARow++;
    if (skip > 0) {
      skip = Math.min(MAX_SKIP, skip * 2); // a failed probe
      skipLeft = skip;
    } else if (failuresInARow >= GIVE_UP_AFTER) {
      skip = FIRST_SKIP;
      skipLeft = skip;
    }
  }
}
