package io.failback.controller.lifecycle;

import io.failback.proto.v1.Job;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watcher's view of a job: the latest version it has not taken yet.
 *
 * <p>Versions are kept one at a time, so a watcher that falls behind skips versions instead of
 * queueing them: memory stays bounded whatever the watcher's speed. Versions taken are in the
 * order the job changed, and the last version of a job that ends is its terminal one.
 *
 * <p>Threading: the listener runs on the thread that changed the job, possibly while the
 * controller holds its job lock; it must only signal (schedule a drain), never block or call
 * back into {@link Jobs}. {@link #poll} and {@link #close} may be called from any thread.
 */
public final class JobWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobWatch.class);

  private final AtomicReference<Job> pending;
  private final Runnable listener;
  private final Consumer<JobWatch> onClose;
  private volatile boolean closed;
  private volatile boolean ended;

  JobWatch(Job current, Runnable listener, Consumer<JobWatch> onClose) {
    this.pending = new AtomicReference<>(current);
    this.listener = listener;
    this.onClose = onClose;
  }

  /** Takes the newest version not taken yet; null when there is none. */
  public Job poll() {
    return pending.getAndSet(null);
  }

  /**
   * Whether the controller stopped publishing to this watch (it is shutting down); once {@link
   * #poll} returns null too, the watcher should end its stream and let the client watch again.
   */
  public boolean isEnded() {
    return ended;
  }

  /** Stops the updates; idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      pending.set(null);
      onClose.accept(this);
    }
  }

  void offer(Job job) {
    if (!closed) {
      pending.set(job);
      signal();
    }
  }

  void end() {
    ended = true;
    signal();
  }

  private void signal() {
    try {
      listener.run();
    } catch (RuntimeException e) {
      // A broken watcher must not fail the job update that notified it.
      log.warn("job watcher failed", e);
    }
  }
}
