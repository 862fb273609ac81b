package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.controller.lifecycle.ActionGate.CancelledException;
import io.failback.proto.v1.JobState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.MDC;

/**
 * Runs one lifecycle job over its VMs, group by group (DESIGN.md: "a recovery plan applies
 * [the lifecycle] to ordered groups of VMs").
 *
 * <p>Every VM prepares at once (at most {@value #PARALLEL_VMS} at a time); a failback with sync
 * before failover then waits for CompleteFailover. Source VMs stop in reverse group order, the
 * data moves, and target VMs start group by group: group N+1 only once every VM of group N
 * runs, after the group's delay and its manual action. A VM that fails is reported alone and
 * left by its {@link VmWork#abandon}; the groups after its own are not started (they keep
 * running where they were), because a plan's order says they depend on it.
 *
 * <p>A job that starts no VM (Commit, ReverseReplicate) has no order to keep: it acts on every
 * VM of the plan at once, without the plan's delays and manual actions, and one VM's failure
 * stops no other.
 *
 * <p>CancelJob is offered only while a cancel can still change something: it is withdrawn
 * before the last VMs start, because a started VM is not stopped again.
 */
final class VmJob {
  private static final Logger log = LoggerFactory.getLogger(VmJob.class);
  static final int PARALLEL_VMS = 4;

  private final LifecycleContext context;
  private final String jobId;
  private final Targets targets;
  /** The groups as this job runs them: the plan's, or all VMs as one for a job starting none. */
  private final List<Targets.Group> waves;
  private final Map<String, VmWork> works;
  private final VmJobs.Kind kind;
  private final ActionGate gate;
  private final JobDowntime downtime;
  private final Semaphore slots = new Semaphore(PARALLEL_VMS);
  private final Map<String, String> ended = new ConcurrentHashMap<>();
  /** What the job does now, for the reason a cancel gives. */
  private volatile String where = "the start";
  private volatile boolean stopping;
  private final CountDownLatch done = new CountDownLatch(1);

  /**
   * Where a job a restarted controller continues had come: the VMs whose part had ended (""
   * when it succeeded, else why not), how many groups had finished, and when the first
   * source VM was stopped (null if none was).
   */
  record Continuation(Map<String, String> ended, int groupsFinished,
      java.time.Instant firstStop) {
    static final Continuation NONE = new Continuation(Map.of(), 0, null);
  }

  private final Continuation continuation;

  /** @param works every VM's work, by VM id as {@code targets} names it */
  VmJob(LifecycleContext context, String jobId, Targets targets, Map<String, VmWork> works,
      VmJobs.Kind kind, Continuation continuation) {
    this.context = context;
    this.jobId = jobId;
    this.targets = targets;
    this.waves = kind.startsVms() ? targets.groups()
        : List.of(new Targets.Group(targets.vmIds(), java.time.Duration.ZERO, ""));
    this.works = Map.copyOf(works);
    this.kind = kind;
    this.gate = new ActionGate(context.jobs(), jobId, context.clock());
    this.downtime = new JobDowntime(context, jobId, waves, this.works,
        kind.rpc().equals(OperatorAction.PLANNED_FAILOVER.rpcName()));
    this.continuation = continuation;
    this.ended.putAll(continuation.ended());
  }

  String jobId() {
    return jobId;
  }

  ActionGate gate() {
    return gate;
  }

  /** Runs the job to its end; on a worker thread. */
  void run() {
    int groups = targets.groups().size();
    try {
      quietly("recording the groups",
          () -> context.jobs().groupsFinished(jobId, finishedGroups(), groups));
      for (String vmId : open(targets.vmIds())) {
        context.jobs().vmTasks(jobId, vmId, JobState.JOB_RUNNING, "");
      }
      if (!kind.startsVms() && groups > 1) {
        // RestartCloudVm restarts VMs, but cannot wait for a manual action it could not end.
        context.jobs().step(jobId, "", kind.rpc() + (kind.rpc().equals(
            OperatorAction.RESTART_CLOUD_VM.rpcName()) ? " cannot be cancelled"
            : " starts no VM") + ": the " + groups + " groups of the plan are acted on"
            + " together, without its delays and manual actions");
      }
      stage(kind.waitForCompletion() ? "phase 1" : "preparing", targets.vmIds(),
          VmWork::prepare);
      if (kind.rpc().equals(OperatorAction.TEST_FAILBACK.rpcName())) {
        // A drill predicts, once, what the real failback's downtime would be from here.
        downtime.predictWhileWaiting(open(targets.vmIds()));
        downtime.freeze();
      }
      int last = lastGroupToStart();
      notStarted(last + 1, "not started: a VM of group " + (last + 1) + " failed");
      if (kind.waitForCompletion() && !open(targets.vmIds()).isEmpty()) {
        where = "waiting for CompleteFailover";
        downtime.predictWhileWaiting(open(targets.vmIds()));
        try {
          gate.await(OperatorAction.COMPLETE_FAILOVER, "");
          // Before any source stops: a restart from here on does not wait for it again.
          context.jobs().editResume(jobId, r -> r.setCompletionRequested(true));
        } finally {
          downtime.freeze();
        }
      }
      Instant stopStage = context.clock().instant();
      for (int g = last; g >= 0; g--) {
        stage("stopping the source VM", open(group(g)), VmWork::stopSource);
      }
      downtime.sourcesStopped(firstStop(stopStage));
      stage("data transfer", open(targets.vmIds()), VmWork::transfer);
      startGroups(last);
      downtime.targetsStarted(targets.vmIds().stream().noneMatch(this::failed));
    } catch (CancelledException e) {
      notStarted(0, "cancelled");
    } catch (InterruptedException e) {
      // The controller stops: like a crash, the restart settles the items and the job.
      stopping = true;
      Thread.currentThread().interrupt();
      done.countDown();
      return;
    } catch (Exception e) {
      log.warn("job " + jobId + ": " + e);
      notStarted(0, "stopped: " + e.getMessage());
    }
    end();
    done.countDown();
  }

  /**
   * When the job's downtime began: when its first source VM began to stop, not when the stage
   * did. A failback's verify pass opens its stop, the cloud VM still running; on large disks
   * it takes minutes. The stage's start stands in for VMs that say nothing.
   */
  private Instant firstStop(Instant stopStage) {
    return Stream.concat(Stream.ofNullable(continuation.firstStop()),
        works.values().stream().map(VmWork::sourceStoppingSince).filter(Objects::nonNull))
        .min(Comparator.naturalOrder()).orElse(stopStage);
  }

  /** Starts the target VMs group by group, up to group {@code last}. */
  private void startGroups(int last) throws Exception {
    int groups = targets.groups().size();
    for (int g = 0; g <= last; g++) {
      if (g == last) {
        // From here a cancel would change nothing: the VMs start whatever it says.
        context.jobs().allowActions(jobId, List.of());
      }
      stage("starting the VM", open(group(g)), work -> {
        work.startTarget();
        ended.put(work.vmId(), "");
        quietly("recording " + work.vmName() + " done", () -> context.jobs().vmTasks(jobId,
            work.vmId(), JobState.JOB_SUCCEEDED, ""));
      });
      if (group(g).stream().anyMatch(this::failed)) {
        notStarted(g + 1, "not started: a VM of group " + (g + 1) + " failed");
      }
      context.jobs().groupsFinished(jobId, finishedGroups(), groups);
      if (group(g).stream().anyMatch(this::failed)) {
        break;
      }
      if (kind.startsVms() && groups > 1) {
        context.jobs().step(jobId, "", "group " + (g + 1) + " of " + groups
            + " finished: every VM runs");
      }
      if (g < last && g + 1 >= continuation.groupsFinished()) {
        // Not again for groups a restarted job had finished: it waits where it waited.
        between(waves.get(g));
      }
    }
  }

  /** The plan's groups whose every VM finished. */
  private int finishedGroups() {
    return (int) targets.groups().stream()
        .filter(group -> group.vmIds().stream().allMatch(id -> "".equals(ended.get(id))))
        .count();
  }

  /**
   * The operator's cancel: running sessions stop and the run ends at its next check. A job
   * waiting for the operator ends before this returns, so CancelJob answers with the outcome.
   */
  void cancel() {
    boolean waiting = gate.awaits(OperatorAction.COMPLETE_FAILOVER)
        || gate.awaits(OperatorAction.RESUME_JOB);
    gate.cancel();
    FlowSupport.stopSessions(context, jobId);
    if (waiting) {
      try {
        done.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The group's delay, then its manual action. */
  private void between(Targets.Group group) throws Exception {
    if (!group.delayAfter().isZero()) {
      // From before the step that announces it: whoever sees the step sees the delay running.
      java.time.Instant until = context.clock().instant().plus(group.delayAfter());
      long millis = group.delayAfter().toMillis();
      context.jobs().step(jobId, "", "waiting " + (millis % 1000 == 0 ? millis / 1000 + " s"
          : millis + " ms") + " before the next group");
      where = "the delay after a group";
      gate.pause(until);
    }
    if (!group.manualAction().isEmpty()) {
      context.jobs().step(jobId, "", "manual action: " + group.manualAction()
          + "; ResumeJob once done");
      where = "the manual action";
      java.time.Instant waiting = context.clock().instant();
      gate.await(OperatorAction.RESUME_JOB, group.manualAction());
      downtime.manualAction(java.time.Duration.between(waiting, context.clock().instant()));
      context.jobs().step(jobId, "", "resumed after the manual action");
    }
  }

  /** A step of the job: the works in parallel, then a check for the operator's cancel. */
  private void stage(String stage, List<String> vmIds, Step step)
      throws CancelledException, InterruptedException {
    where = stage;
    gate.throwIfCancelled();
    List<CompletableFuture<Void>> running = new ArrayList<>();
    for (String vmId : vmIds) {
      VmWork work = works.get(vmId);
      slots.acquire();
      running.add(CompletableFuture.runAsync(() -> {
        // Every record this VM's work logs carries the job, the VM and its host as fields.
        try (MDC.MDCCloseable job = MDC.putCloseable("job_id", jobId);
            MDC.MDCCloseable vm = MDC.putCloseable("vm_id", work.vmId());
            MDC.MDCCloseable host = work.host().isEmpty() ? null
                : MDC.putCloseable("host", work.host());
            CancelScope.Entered scope = CancelScope.enter(
                () -> context.jobs().cancelRequested(jobId))) {
          step.run(work);
        } catch (Exception e) {
          fail(work, stage, e);
        } finally {
          slots.release();
        }
      }, context.workers()));
    }
    for (CompletableFuture<Void> future : running) {
      future.join();
    }
    gate.throwIfCancelled();
  }

  private void fail(VmWork work, String stage, Exception cause) {
    // A failure while the controller stops (its agent streams closing) is the stop's doing:
    // like a crash, the next start continues or settles the job, nothing is undone here.
    if (stopping || Thread.currentThread().isInterrupted() || context.workers().isShutdown()) {
      // The controller stops: like a crash, the restart settles the item and the job.
      stopping = true;
      ended.put(work.vmId(), "the controller stopped");
      return;
    }
    boolean cancelled = context.jobs().cancelRequested(jobId);
    abandon(work, cancelled ? "cancelled during " + stage
        : "failed during " + stage + ": " + cause.getMessage(), cancelled);
  }

  private void abandon(VmWork work, String why, boolean cancelled) {
    if (context.workers().isShutdown()) {
      stopping = true;
      ended.put(work.vmId(), "the controller stopped");
      return;
    }
    ended.put(work.vmId(), why);
    String reason = why + "; " + work.abandon(why, cancelled);
    ended.put(work.vmId(), reason);
    quietly("ending the part of " + work.vmName(), () -> context.jobs().vmTasks(jobId,
        work.vmId(), cancelled ? JobState.JOB_CANCELLED : JobState.JOB_FAILED, reason));
  }

  /** Abandons every VM still open from group {@code first} on. */
  private void notStarted(int first, String why) {
    boolean cancelled = context.jobs().cancelRequested(jobId);
    String during = cancelled ? "cancelled during " + where : why;
    for (int g = first; g < waves.size(); g++) {
      for (String vmId : open(group(g))) {
        abandon(works.get(vmId), during, cancelled);
      }
    }
  }

  private void end() {
    if (stopping) {
      return;
    }
    List<String> failedVms = targets.vmIds().stream().filter(this::failed).toList();
    String summary = failedVms.size() == 1 && works.size() == 1 ? ended.get(failedVms.get(0))
        : failedVms.size() + " of " + works.size() + " VMs did not finish ("
            + failedVms.stream().map(id -> works.get(id).vmName() + ": " + ended.get(id))
                .collect(Collectors.joining("; ")) + ")";
    if (failedVms.isEmpty()) {
      // Every VM finished, even if a cancel came too late to stop any of them.
      quietly("ending job " + jobId, () -> context.jobs().succeed(jobId));
    } else if (context.jobs().cancelRequested(jobId)) {
      quietly("ending job " + jobId, () -> context.jobs().cancelled(jobId, summary));
    } else {
      quietly("failing job " + jobId, () -> context.jobs().fail(jobId, summary));
    }
  }

  /** The first group with a failed VM, or the last group: no group after it may start. */
  private int lastGroupToStart() {
    for (int g = 0; g < waves.size(); g++) {
      if (group(g).stream().anyMatch(this::failed)) {
        return g;
      }
    }
    return waves.size() - 1;
  }

  private List<String> group(int g) {
    return waves.get(g).vmIds();
  }

  private List<String> open(List<String> vmIds) {
    return vmIds.stream().filter(id -> !ended.containsKey(id)).toList();
  }

  private boolean failed(String vmId) {
    String why = ended.get(vmId);
    return why != null && !why.isEmpty();
  }

  @FunctionalInterface
  private interface Step {
    void run(VmWork work) throws Exception;
  }
}
