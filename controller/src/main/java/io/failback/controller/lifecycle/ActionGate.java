package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.JobState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Where a running job waits for the operator (CompleteFailover, or ResumeJob after a recovery
 * plan's manual action) or for a plan's delay, and where the operator's cancel reaches it.
 *
 * <p>Waiting, opening and cancelling happen under this object's lock, so an operator action and
 * a cancel arriving together cannot both proceed, and a cancel that arrives just before the
 * job starts to wait still ends it.
 */
final class ActionGate {
  /** How long a plan's delay waits at most before it looks at the clock again. */
  private static final long CLOCK_CHECK_MILLIS = 100;

  private final Jobs jobs;
  private final String jobId;
  private final Clock clock;
  private OperatorAction awaited;
  private boolean opened;
  private boolean cancelled;

  /** The operator's cancel reached the job's run. */
  static final class CancelledException extends Exception {
    CancelledException() {
      super("cancelled by the operator");
    }
  }

  ActionGate(Jobs jobs, String jobId, Clock clock) {
    this.jobs = jobs;
    this.jobId = jobId;
    this.clock = clock;
  }

  /**
   * Moves the job to WAITING with {@code action} (and CancelJob) allowed, and returns once the
   * operator took it; the job is RUNNING again then.
   *
   * @param manualAction the plan's text for the operator, or empty
   */
  synchronized void await(OperatorAction action, String manualAction)
      throws CancelledException, InterruptedException, NotFoundException,
      IllegalTransitionException, StoreException {
    throwIfCancelled();
    jobs.manualAction(jobId, manualAction);
    jobs.allowActions(jobId, List.of(action, OperatorAction.CANCEL_JOB));
    jobs.transition(jobId, JobState.JOB_WAITING);
    awaited = action;
    opened = false;
    try {
      while (!opened && !cancelled) {
        wait();
      }
    } finally {
      awaited = null;
    }
    throwIfCancelled();
  }

  /**
   * The operator's {@code action}: the job runs on.
   *
   * @throws IllegalTransitionException if the job is not waiting for it, or a cancel came first
   */
  synchronized void open(OperatorAction action)
      throws NotFoundException, IllegalTransitionException, StoreException {
    io.failback.proto.v1.Job job = jobs.get(jobId);
    if (cancelled || awaited != action || jobs.cancelRequested(jobId)) {
      String refused = "cannot " + action.rpcName()
          + (cancelled || jobs.cancelRequested(jobId) ? " (a cancel was requested)" : "");
      throw new IllegalTransitionException(refused, JobBuilders.subject(job),
          job.getState().name(), job.getAllowedActionsList());
    }
    jobs.manualAction(jobId, "");
    jobs.allowActions(jobId, List.of(OperatorAction.CANCEL_JOB));
    jobs.transition(jobId, JobState.JOB_RUNNING);
    opened = true;
    notifyAll();
  }

  /**
   * Waits until {@code until} (the end of a plan's delay) on the lifecycle's clock, ending
   * early on a cancel. The clock is read again at least every {@value #CLOCK_CHECK_MILLIS} ms,
   * so a clock that is moved (a test's) ends the delay as promptly as one that runs.
   */
  synchronized void pause(Instant until) throws CancelledException, InterruptedException {
    for (Duration left = Duration.between(clock.instant(), until);
        !left.isNegative() && !left.isZero() && !cancelled;
        left = Duration.between(clock.instant(), until)) {
      wait(Math.max(1, Math.min(CLOCK_CHECK_MILLIS, left.toMillis())));
    }
    throwIfCancelled();
  }

  /** The operator's cancel: a wait ends at once, the run at its next check. */
  synchronized void cancel() {
    cancelled = true;
    notifyAll();
  }

  synchronized void throwIfCancelled() throws CancelledException {
    if (cancelled || jobs.cancelRequested(jobId)) {
      cancelled = true;
      throw new CancelledException();
    }
  }

  /** Whether the job waits now for {@code action}. */
  synchronized boolean awaits(OperatorAction action) {
    return awaited == action && !cancelled;
  }
}
