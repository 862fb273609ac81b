package io.failback.controller.lifecycle;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Lets the operator's cancel end a job step's wait for a host's answer. A host command can take
 * minutes to time out (a hung agent, a link that stalls while heartbeats still pass); a job
 * whose step waits on one would otherwise hold the cancel that long. The step runs inside
 * {@link #enter}; whoever waits on a host asks {@link #await}, which gives up once the job's
 * cancel was requested. The abandon that follows runs outside the scope, so its own commands
 * are not cut short by the cancel they serve.
 */
public final class CancelScope {
  private static final ThreadLocal<BooleanSupplier> CURRENT = new ThreadLocal<>();
  /** How often a wait looks at the cancel: well below the "within seconds" it promises. */
  private static final long SLICE_MILLIS = 100;

  private CancelScope() {}

  /** A cancelled wait: what the host does with the command is not known. */
  public static final class CancelledWaitException extends Exception {
    CancelledWaitException() {
      super("the job was cancelled while it waited");
    }
  }

  /** An entered scope; closing it restores the one around it. */
  interface Entered extends AutoCloseable {
    @Override
    void close();
  }

  /** The scope of one step on this thread; close it before the step's failure is handled. */
  static Entered enter(BooleanSupplier cancelled) {
    BooleanSupplier outer = CURRENT.get();
    CURRENT.set(cancelled);
    return () -> {
      if (outer == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(outer);
      }
    };
  }

  /** A step whose waits no cancel may cut. */
  interface Shielded {
    void run() throws Exception;
  }

  /**
   * Runs {@code step} with its waits out of the cancel's reach: commands that, once sent, cannot
   * be taken back (starting the target VM) must be waited out, or the job's abandon would
   * restart the other copy while this one may start too.
   */
  static void shielded(Shielded step) throws Exception {
    try (Entered none = enter(() -> false)) {
      step.run();
    }
  }

  /**
   * {@code future}'s value within {@code timeout}, or {@link CancelledWaitException} as soon as
   * the job of this thread's step is cancelled; outside a step, a plain timed wait.
   */
  public static <T> T await(CompletableFuture<T> future, Duration timeout)
      throws ExecutionException, TimeoutException, InterruptedException,
      CancelledWaitException {
    BooleanSupplier cancelled = CURRENT.get();
    if (cancelled == null) {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      // An answer that is there is used, cancel or not: the host did what it says.
      if (!future.isDone() && cancelled.getAsBoolean()) {
        throw new CancelledWaitException();
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException();
      }
      try {
        return future.get(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, SLICE_MILLIS),
            TimeUnit.MILLISECONDS);
      } catch (TimeoutException slice) {
        // Look at the cancel again.
      }
    }
  }
}
