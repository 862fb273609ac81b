package io.failback.controller.lifecycle;

import static io.failback.proto.v1.JobState.JOB_CANCELLED;
import static io.failback.proto.v1.JobState.JOB_FAILED;
import static io.failback.proto.v1.JobState.JOB_QUEUED;
import static io.failback.proto.v1.JobState.JOB_RUNNING;
import static io.failback.proto.v1.JobState.JOB_SUCCEEDED;
import static io.failback.proto.v1.JobState.JOB_WAITING;

import io.failback.proto.v1.JobState;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The job (and job task) state machine.
 *
 * <pre>
 * state          next states
 * JOB_QUEUED     JOB_RUNNING, JOB_FAILED, JOB_CANCELLED
 * JOB_RUNNING    JOB_WAITING, JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED
 * JOB_WAITING    JOB_RUNNING (the awaited action came), JOB_FAILED, JOB_CANCELLED
 * JOB_SUCCEEDED  none: terminal
 * JOB_FAILED     none: terminal
 * JOB_CANCELLED  none: terminal
 * </pre>
 */
public final class JobTransitions {
  private static final Map<JobState, Set<JobState>> NEXT = new EnumMap<>(JobState.class);

  static {
    NEXT.put(JOB_QUEUED, EnumSet.of(JOB_RUNNING, JOB_FAILED, JOB_CANCELLED));
    NEXT.put(JOB_RUNNING, EnumSet.of(JOB_WAITING, JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED));
    NEXT.put(JOB_WAITING, EnumSet.of(JOB_RUNNING, JOB_FAILED, JOB_CANCELLED));
    NEXT.put(JOB_SUCCEEDED, EnumSet.noneOf(JobState.class));
    NEXT.put(JOB_FAILED, EnumSet.noneOf(JobState.class));
    NEXT.put(JOB_CANCELLED, EnumSet.noneOf(JobState.class));
  }

  private static final Set<JobState> TERMINAL =
      Collections.unmodifiableSet(EnumSet.of(JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED));

  private JobTransitions() {}

  /** Whether a job or task may move from {@code from} to {@code to}. */
  public static boolean isAllowed(JobState from, JobState to) {
    Set<JobState> next = NEXT.get(from);
    return next != null && next.contains(to);
  }

  /** The states that may follow {@code from}. */
  public static Set<JobState> next(JobState from) {
    Set<JobState> next = NEXT.get(from);
    return next == null ? Set.of() : Collections.unmodifiableSet(next);
  }

  /** Whether {@code state} ends the job: nothing changes it afterwards. */
  public static boolean isTerminal(JobState state) {
    return TERMINAL.contains(state);
  }

  /** The states a job is in while the controller is responsible for moving it on. */
  public static Set<JobState> unfinished() {
    return Collections.unmodifiableSet(EnumSet.of(JOB_QUEUED, JOB_RUNNING, JOB_WAITING));
  }
}
