package io.failback.common.sync;

/** Sets a session's counters as a session that ran would have, for tests of their readers. */
public final class ProgressCounts {
  private ProgressCounts() {}

  /** Adds blocks settled, sent, zero and equal (held) to {@code progress}. */
  public static void add(SyncProgress progress, long settled, long sent, long zero, long equal) {
    progress.blocksSettled.addAndGet(settled);
    progress.blocksSent.addAndGet(sent);
    progress.blocksZero.addAndGet(zero);
    progress.blocksEqual.addAndGet(equal);
  }
}
