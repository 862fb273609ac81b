package io.failback.common.sync;

import io.failback.common.disk.BlockDevice;
import java.io.IOException;

/**
 * Makes a device's writes durable with as few flushes as possible: every lane and batch that
 * asks while a flush is running waits for the next one, which then covers all of them.
 *
 * <p>A flush of a file costs the same whether one batch or ten are dirty (a journal commit and a
 * device cache flush), so grouping them is most of the cost of durable acknowledgements.
 * Tickets make it exact: a flush covers every ticket taken before it started.
 */
final class GroupFlush {
  private final BlockDevice device;
  private long issued;
  private long durable;
  private boolean flushing;

  GroupFlush(BlockDevice device) {
    this.device = device;
  }

  /** A ticket for the writes that completed before this call. */
  synchronized long ticket() {
    return ++issued;
  }

  /** Returns once the writes before {@code ticket} are on stable storage. */
  void awaitDurable(long ticket) throws IOException, InterruptedException {
    long covering;
    synchronized (this) {
      while (true) {
        if (durable >= ticket) {
          return;
        }
        if (!flushing) {
          flushing = true;
          covering = issued;
          break;
        }
        wait();
      }
    }
    boolean done = false;
    try {
      device.flush();
      done = true;
    } finally {
      synchronized (this) {
        flushing = false;
        if (done) {
          durable = Math.max(durable, covering);
        }
        notifyAll();
      }
    }
  }
}
