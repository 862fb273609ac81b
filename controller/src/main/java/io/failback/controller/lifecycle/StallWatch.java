package io.failback.controller.lifecycle;

import io.failback.common.sync.SyncProgress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The progress deadline of a transfer: when none of its sessions moved a byte, read a block or
 * settled a batch for the timeout, they are stopped with the reason, so that a hung agent, a
 * hung disk or a stalled link fails the job instead of holding it (and a failback's rollback)
 * forever. A lost agent ends its sessions by itself; waiting for it to return is not a stall.
 */
final class StallWatch {
  private final Set<String> sessions;
  private final Duration timeout;
  private final Consumer<String> stop;
  private long moved = -1;
  private long since = System.nanoTime();
  private boolean stopped;

  /**
   * @param sessions the transfer's sessions so far: a new one (a resume) counts as progress
   * @param stop stops the sessions, given why
   */
  StallWatch(Set<String> sessions, Duration timeout, Consumer<String> stop) {
    this.sessions = sessions;
    this.timeout = timeout;
    this.stop = stop;
  }

  /**
   * Called periodically with the transfer's counters: notes progress, or stops the sessions
   * once past the deadline. Every counter only grows, so their sum moves exactly when any does.
   */
  synchronized void check(List<SyncProgress.Snapshot> now) {
    long total = sessions.size();
    for (SyncProgress.Snapshot s : now) {
      total += s.bytesBothWays() + s.bytesRead() + s.blocksScanned() + s.blocksSettled();
    }
    if (total != moved) {
      moved = total;
      since = System.nanoTime();
      stopped = false;
      return;
    }
    if (!stopped && System.nanoTime() - since > timeout.toNanos()) {
      stopped = true;
      stop.accept("no progress for " + timeout.toSeconds() + " s while the agent stayed"
          + " connected (--sync-stall-timeout): a hung agent, disk or link");
    }
  }
}
