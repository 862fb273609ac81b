package io.failback.common.sync;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a lane's flush-then-acknowledge steps on one background thread, in submission order,
 * so the lane keeps writing the next batch while the previous one reaches stable storage.
 *
 * <p>At most {@code depth} steps wait at once; a failed step fails the lane at its next call.
 */
final class OrderedFlushes implements AutoCloseable {
  /** One step; may fail like the lane itself. */
  interface Step {
    void run() throws SyncException, LinkException, InterruptedException;
  }

  private final ExecutorService thread;
  private final Deque<Future<?>> inFlight = new ArrayDeque<>();
  private final int depth;

  OrderedFlushes(String name, int depth) {
    this.depth = Math.max(1, depth);
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  void submit(Step step) throws SyncException, LinkException, InterruptedException {
    reapDone();
    while (inFlight.size() >= depth) {
      await(inFlight.removeFirst());
    }
    inFlight.add(thread.submit(() -> {
      step.run();
      return null;
    }));
  }

  /** Waits for every submitted step; rethrows the first failure. */
  void awaitAll() throws SyncException, LinkException, InterruptedException {
    while (!inFlight.isEmpty()) {
      await(inFlight.removeFirst());
    }
  }

  private void reapDone() throws SyncException, LinkException, InterruptedException {
    while (!inFlight.isEmpty() && inFlight.peekFirst().isDone()) {
      await(inFlight.removeFirst());
    }
  }

  private static void await(Future<?> future)
      throws SyncException, LinkException, InterruptedException {
    try {
      future.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SyncException sync) {
        throw sync;
      }
      if (cause instanceof LinkException link) {
        throw link;
      }
      if (cause instanceof InterruptedException interrupted) {
        throw interrupted;
      }
      throw new SyncException(SyncException.Kind.DISK, "flush failed: " + cause, cause);
    }
  }

  /**
   * Lets the steps already submitted finish, then stops the thread.
   *
   * <p>Never interrupts: an interrupt during {@code FileChannel.force} closes the channel for
   * every lane of the disk.
   */
  @Override
  public void close() {
    thread.shutdown();
    try {
      thread.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
