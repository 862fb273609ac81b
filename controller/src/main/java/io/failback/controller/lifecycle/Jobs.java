package io.failback.controller.lifecycle;

import static com.google.common.base.Preconditions.checkArgument;
import static io.failback.controller.lifecycle.JobBuilders.addStep;
import static io.failback.controller.lifecycle.JobBuilders.moveJob;
import static io.failback.controller.lifecycle.JobBuilders.subject;
import static io.failback.controller.lifecycle.JobBuilders.task;
import static io.failback.controller.lifecycle.JobBuilders.timestamp;
import static java.util.Objects.requireNonNull;

import io.failback.controller.store.JobRecords;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.DowntimePrediction;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobResume;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobTask;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The jobs: every lifecycle action as the operator sees it, persisted on every change and
 * published to watchers. Changes are serialized by one lock, so watchers and listeners see
 * them in order; cancellation callbacks run outside it and may call back into this class.
 */
public final class Jobs {
  private final JobRecords records;
  private final Clock clock;
  private final Object lock = new Object();
  private final JobWatchers watchers = new JobWatchers();
  private final Map<String, Runnable> cancelCallbacks = new ConcurrentHashMap<>();
  private final Set<String> cancelRequested = ConcurrentHashMap.newKeySet();
  private final JobListeners listeners = new JobListeners();

  /** A change of a job's builder, made inside the transaction that stores it. */
  private interface Change {
    void apply(Job.Builder job) throws IllegalTransitionException;
  }

  public Jobs(JobRecords records, Clock clock) {
    this.records = requireNonNull(records, "records");
    this.clock = requireNonNull(clock, "clock");
  }

  /**
   * Creates a queued job with one task per VM and one per disk, in the map's order; the
   * operator may cancel it until {@link #allowActions} says otherwise.
   *
   * @param kind the RPC that started it, e.g. "PlannedFailover"
   * @param recoveryPlan the plan it acts on, or empty
   * @param disksByVm the VMs' ids and, for each, the disk paths it syncs (maybe none)
   */
  public Job create(String kind, FailoverDirection direction, String recoveryPlan,
      Map<String, List<String>> disksByVm) throws StoreException {
    return create(kind, direction, recoveryPlan, disksByVm, true);
  }

  /**
   * Creates a queued job; with {@code cancellable} false it never offers CancelJob, not even
   * before its runner takes it, because a cancel it could not honour would be a lie.
   */
  public Job create(String kind, FailoverDirection direction, String recoveryPlan,
      Map<String, List<String>> disksByVm, boolean cancellable) throws StoreException {
    Job created = JobBuilders.newJob(UUID.randomUUID().toString(), kind, direction,
        recoveryPlan, disksByVm, cancellable, clock.instant()).build(); // a UUID: no collision
    checkArgument(records.insert(created), "job id %s already exists", created.getId());
    listeners.tell(created);
    return created;
  }

  /** Tells {@code listener} of each job created and changed, in order: quick, no callback. */
  public void addListener(Consumer<Job> listener) {
    listeners.add(listener);
  }

  public Job get(String jobId) throws NotFoundException, StoreException {
    return records.get(jobId).orElseThrow(() -> notFound(jobId));
  }

  /** The jobs touching {@code vmId}, or all of them when it is empty, newest first. */
  public List<Job> list(String vmId) throws StoreException {
    return vmId.isEmpty() ? records.list() : records.listByVm(vmId);
  }

  /**
   * Moves the job to {@code to}: the one way its state changes. A terminal state also ends
   * its open tasks, leaves no action to take, and completes the watchers.
   */
  public Job transition(String jobId, JobState to)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "move to " + to, job -> moveJob(job, to, "move to " + to));
  }

  /** Records what the job is doing now, on its timeline and, for a VM, on the VM's task. */
  public Job step(String jobId, String vmId, String description)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "record a step", job -> {
      if (!vmId.isEmpty()) {
        task(job, vmId, "").setStep(description);
      }
      addStep(job, clock.instant(), vmId, description);
    });
  }

  /**
   * Replaces the progress of a task ({@code diskPath} empty for the VM's own task) and adds
   * the disks' progress up into the job's.
   */
  public Job progress(String jobId, String vmId, String diskPath, JobProgress progress)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "record progress", job -> {
      task(job, vmId, diskPath).setProgress(progress);
      job.setProgress(JobProgressTotals.of(job.getTasksList()));
    });
  }

  /**
   * Moves a task along {@link JobTransitions}; a failed task keeps {@code error}.
   *
   * @throws IllegalStateException if the table forbids the move: a runner bug
   */
  public Job taskState(String jobId, String vmId, String diskPath, JobState to, String error)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "move a task", job -> {
      JobTask.Builder task = task(job, vmId, diskPath);
      JobBuilders.moveTask(job, task, to);
      if (!error.isEmpty()) {
        task.setError(error);
      }
    });
  }

  /**
   * Records a task's results (digests, downtime, predicted downtime); its state changes only
   * through {@link #taskState}.
   */
  public Job editTask(String jobId, String vmId, String diskPath,
      Consumer<JobTask.Builder> changes)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "record task results", job -> {
      JobTask.Builder task = task(job, vmId, diskPath);
      JobTask before = task.build();
      changes.accept(task);
      checkArgument(task.getState() == before.getState()
          && task.getVmId().equals(before.getVmId())
          && task.getDiskPath().equals(before.getDiskPath()),
          "editTask may not change a task's state, VM or disk; use taskState");
    });
  }

  /**
   * Moves one VM's part of the job (its task and its disks' tasks still open) to {@code to}
   * without ending the job; a {@code reason} for a failed or cancelled part is kept on the
   * task and joins the job's errors.
   */
  public Job vmTasks(String jobId, String vmId, JobState to, String reason)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "move a VM's tasks", job -> {
      for (JobTask.Builder task : job.getTasksBuilderList()) {
        if (task.getVmId().equalsIgnoreCase(vmId) && !JobTransitions.isTerminal(task.getState())
            && task.getState() != to) {
          JobBuilders.moveTask(job, task, to);
        }
      }
      if (!reason.isEmpty()) {
        task(job, vmId, "").setError(reason);
        job.addErrors("vm " + vmId + ": " + reason);
        addStep(job, clock.instant(), vmId, reason);
      }
    });
  }

  /**
   * Adds a queued task per disk of a VM whose disks the job made (a VM created on an alternate
   * host), so their progress has a place.
   */
  public Job addDiskTasks(String jobId, String vmId, List<String> diskPaths)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "add disk tasks", job -> {
      task(job, vmId, "");
      for (String disk : diskPaths) {
        job.addTasks(JobTask.newBuilder().setVmId(vmId).setDiskPath(disk)
            .setState(JobState.JOB_RUNNING));
      }
    });
  }

  /** Records how many of the job's groups have every VM running on the target side. */
  public Job groupsFinished(String jobId, int finished, int total)
      throws NotFoundException, IllegalTransitionException, StoreException {
    checkArgument(0 <= finished && finished <= total, "%s of %s groups", finished, total);
    return change(jobId, "record finished groups",
        job -> job.setGroupsFinished(finished).setGroupsTotal(total));
  }

  /**
   * Records the predicted downtime of each VM in {@code vms} and of the whole job, with how
   * many manual actions it counts as taking no time, as one change: a watcher never sees a
   * job whose figures disagree.
   */
  public Job predictedDowntime(String jobId, Map<String, DowntimePrediction> vms,
      com.google.protobuf.Duration predicted, int manualActions)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "record the predicted downtime", job -> {
      vms.forEach((vmId, prediction) -> task(job, vmId, "")
          .setPredictedDowntime(prediction.getTotal()).setDowntimePrediction(prediction));
      job.setPredictedDowntime(predicted).setPredictedManualActions(manualActions);
    });
  }

  /** Records the whole job's measured downtime, and how much of it manual actions took. */
  public Job downtime(String jobId, com.google.protobuf.Duration measured,
      com.google.protobuf.Duration manualActions)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "record the downtime", job -> job.setDowntime(measured)
        .setManualActionTime(manualActions));
  }

  /** Shows the manual action the job waits for, or none when {@code text} is empty. */
  public Job manualAction(String jobId, String text)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "record the manual action", job -> job.setManualAction(text));
  }

  /** Replaces the actions the operator may take now; none once a cancel was requested. */
  public Job allowActions(String jobId, List<OperatorAction> actions)
      throws NotFoundException, IllegalTransitionException, StoreException {
    // The check runs under the lock, where cancel() sets the flag.
    return change(jobId, "change the allowed actions", job -> job.clearAllowedActions()
        .addAllAllowedActions(cancelRequested.contains(jobId) ? List.of() : actions.stream()
            .map(OperatorAction::rpcName).distinct().toList()));
  }

  /** Ends the job as failed, keeping {@code reason} among its errors and on its timeline. */
  public Job fail(String jobId, String reason)
      throws NotFoundException, IllegalTransitionException, StoreException {
    checkArgument(!reason.isBlank(), "a failure needs a reason");
    return change(jobId, "fail", job -> {
      moveJob(job, JobState.JOB_FAILED, "fail");
      job.addErrors(reason);
      addStep(job, clock.instant(), "", "failed: " + reason);
    });
  }

  /** Ends the job as succeeded. */
  public Job succeed(String jobId)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "succeed", job -> {
      moveJob(job, JobState.JOB_SUCCEEDED, "succeed");
      addStep(job, clock.instant(), "", "succeeded");
    });
  }

  /** Ends the job as cancelled: the runner calls it once it has stopped. */
  public Job cancelled(String jobId, String what)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "end as cancelled", job -> {
      moveJob(job, JobState.JOB_CANCELLED, "end as cancelled");
      addStep(job, clock.instant(), "", what.isEmpty() ? "cancelled" : "cancelled: " + what);
    });
  }

  /** Whether the operator asked to cancel the job and it has not ended yet. */
  public boolean cancelRequested(String jobId) {
    return cancelRequested.contains(jobId);
  }

  /**
   * Registers what stops the running job when the operator cancels it; the runner registers
   * one per job it starts, before starting it.
   *
   * @throws IllegalTransitionException if the job has ended (perhaps cancelled already)
   */
  public void onCancel(String jobId, Runnable callback)
      throws NotFoundException, IllegalTransitionException, StoreException {
    synchronized (lock) {
      Job job = get(jobId);
      if (JobTransitions.isTerminal(job.getState())) {
        throw new IllegalTransitionException("cannot take a cancel callback", subject(job),
            job.getState().name(), List.of());
      }
      cancelCallbacks.put(jobId, requireNonNull(callback, "callback"));
    }
  }

  /**
   * The operator's CancelJob: marks the job cancel-requested and runs its runner's callback,
   * which ends the job through {@link #cancelled} once the work has stopped. A job no runner
   * has taken is cancelled at once. Asking again while the runner stops changes nothing.
   *
   * @return the job after the request
   * @throws IllegalTransitionException if the job has ended or cannot be cancelled now
   */
  public Job cancel(String jobId)
      throws NotFoundException, IllegalTransitionException, StoreException {
    Runnable callback;
    synchronized (lock) {
      Job job = get(jobId);
      if (cancelRequested.contains(jobId) && !JobTransitions.isTerminal(job.getState())) {
        return job;
      }
      if (!job.getAllowedActionsList().contains(OperatorAction.CANCEL_JOB.rpcName())) {
        throw new IllegalTransitionException("cannot CancelJob", subject(job),
            job.getState().name(), job.getAllowedActionsList());
      }
      callback = cancelCallbacks.get(jobId);
      if (callback == null) {
        return cancelled(jobId, "no runner had taken the job");
      }
      cancelRequested.add(jobId);
      // Nothing is allowed while the job stops: the gate refuses CompleteFailover and
      // ResumeJob once a cancel was requested, so offering them would be a lie.
      change(jobId, "request cancellation", b -> {
        b.clearAllowedActions();
        addStep(b, clock.instant(), "", "cancel requested");
      });
    }
    // Outside the lock: the callback may end the job synchronously through this class. The
    // runner may have finished meanwhile; its callback must then do nothing.
    callback.run();
    return get(jobId);
  }

  /**
   * Watches a job: the watch holds the current version at once, then each change, and the
   * terminal version last; {@code listener} is told whenever there is something to take.
   */
  public JobWatch watch(String jobId, Runnable listener)
      throws NotFoundException, StoreException {
    // Under the lock, so no change slips between reading the job and registering the watch.
    synchronized (lock) {
      return watchers.open(get(jobId), requireNonNull(listener, "listener"));
    }
  }

  /** Ends every watch, so that streams close before the controller stops. */
  public void endWatches() {
    watchers.endAll();
  }

  /** How many watches are open, to see that closed streams let go of theirs. */
  public int openWatches() {
    return watchers.size();
  }

  /**
   * Settles the jobs left unfinished by a previous controller process: a job {@code resumer}
   * returns work for is resumed by running that work, any other is failed with a reason that
   * says how to resume it. Nothing is left running without a runner.
   *
   * @return the settled jobs, as they are afterwards, oldest first
   */
  public List<Job> recover(Function<Job, Optional<Runnable>> resumer) throws StoreException {
    return JobRecovery.run(this, records.listInStates(JobTransitions.unfinished()), resumer);
  }

  /** Edits the job's own record of how to continue it after a controller restart. */
  public Job editResume(String jobId, Consumer<JobResume.Builder> edit)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return change(jobId, "record how to resume", job -> edit.accept(job.getResumeBuilder()));
  }

  /** Runs one stored change under the lock, then publishes the result. */
  private Job change(String jobId, String action, Change change)
      throws NotFoundException, IllegalTransitionException, StoreException {
    synchronized (lock) {
      Instant now = clock.instant();
      Job job = records.update(jobId, (Job current) -> {
        if (JobTransitions.isTerminal(current.getState())) {
          throw new IllegalTransitionException("cannot " + action, subject(current),
              current.getState().name(), List.of());
        }
        Job.Builder next = current.toBuilder();
        change.apply(next);
        return next.setUpdatedAt(timestamp(now)).build();
      }).orElseThrow(() -> notFound(jobId));
      watchers.publish(job);
      listeners.tell(job);
      if (JobTransitions.isTerminal(job.getState())) {
        cancelCallbacks.remove(jobId);
        cancelRequested.remove(jobId);
      }
      return job;
    }
  }

  private static NotFoundException notFound(String jobId) {
    return new NotFoundException("no job with id '" + jobId + "'; list them with ListJobs");
  }
}
