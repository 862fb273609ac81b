package io.failback.controller.lifecycle;

import static com.google.common.base.Preconditions.checkArgument;
import static com.google.common.base.Preconditions.checkState;
import static java.util.Objects.requireNonNull;

import com.google.protobuf.Timestamp;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.JobTask;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Edits of a {@link Job.Builder} that {@link Jobs} combines into one stored change. */
final class JobBuilders {

  private JobBuilders() {}

  /**
   * A queued job with one task per VM and one per disk, in the map's order; CancelJob is
   * offered only when {@code cancellable}.
   */
  static Job.Builder newJob(String id, String kind, FailoverDirection direction,
      String recoveryPlan, Map<String, List<String>> disksByVm, boolean cancellable,
      Instant now) {
    checkArgument(!kind.isBlank(), "job kind is blank");
    Job.Builder job = Job.newBuilder()
        .setId(id)
        .setKind(kind)
        .setState(JobState.JOB_QUEUED)
        .setDirection(requireNonNull(direction, "direction"))
        .setRecoveryPlan(requireNonNull(recoveryPlan, "recoveryPlan"))
        .addAllAllowedActions(cancellable ? List.of(OperatorAction.CANCEL_JOB.rpcName())
            : List.of())
        .setCreatedAt(timestamp(now))
        .setUpdatedAt(timestamp(now));
    disksByVm.forEach((vmId, disks) -> {
      checkArgument(!vmId.isBlank(), "VM id is blank");
      job.addVmIds(vmId).addTasks(JobTask.newBuilder().setVmId(vmId)
          .setState(JobState.JOB_QUEUED));
      disks.forEach(disk -> job.addTasks(JobTask.newBuilder().setVmId(vmId).setDiskPath(disk)
          .setState(JobState.JOB_QUEUED)));
    });
    return job;
  }

  static Timestamp timestamp(Instant at) {
    return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
  }

  /** How operators and error messages name a job. */
  static String subject(Job job) {
    return "job " + job.getId() + " (" + job.getKind() + ")";
  }

  /**
   * The task of this VM ({@code diskPath} empty) or of one of its disks.
   *
   * @throws IllegalArgumentException if the job has no such task
   */
  static JobTask.Builder task(Job.Builder job, String vmId, String diskPath) {
    for (JobTask.Builder task : job.getTasksBuilderList()) {
      if (task.getVmId().equalsIgnoreCase(vmId) && task.getDiskPath().equals(diskPath)) {
        return task;
      }
    }
    throw new IllegalArgumentException("job " + job.getId() + " has no task for vm '" + vmId
        + "'" + (diskPath.isEmpty() ? "" : " disk '" + diskPath + "'"));
  }

  /** Moves a task, refusing what {@link JobTransitions} forbids: that is a runner bug. */
  static void moveTask(Job.Builder job, JobTask.Builder task, JobState to) {
    checkState(JobTransitions.isAllowed(task.getState(), to),
        "the task for vm '%s' disk '%s' of job %s is %s and cannot move to %s (next: %s)",
        task.getVmId(), task.getDiskPath(), job.getId(), task.getState(), to,
        JobTransitions.next(task.getState()));
    task.setState(to);
  }

  /** Appends a step to the timeline. */
  static void addStep(Job.Builder job, Instant at, String vmId, String description) {
    job.addTimeline(JobStep.newBuilder()
        .setAt(timestamp(at))
        .setVmId(vmId)
        .setDescription(description));
  }

  /**
   * Moves the job, refusing what {@link JobTransitions} forbids; a terminal state also ends the
   * tasks still open (with the same state) and leaves no action to take.
   */
  static void moveJob(Job.Builder job, JobState to, String action)
      throws IllegalTransitionException {
    if (!JobTransitions.isAllowed(job.getState(), to)) {
      throw new IllegalTransitionException("cannot " + action, subject(job.build()),
          job.getState().name(), job.getAllowedActionsList());
    }
    job.setState(to);
    if (JobTransitions.isTerminal(to)) {
      job.clearAllowedActions();
      for (JobTask.Builder task : job.getTasksBuilderList()) {
        if (!JobTransitions.isTerminal(task.getState())) {
          task.setState(to);
        }
      }
    }
  }
}
