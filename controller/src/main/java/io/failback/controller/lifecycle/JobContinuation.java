package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobResume;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.VirtualMachine;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a starting controller does with the jobs a previous process left unfinished: a failback
 * (PlannedFailover from the cloud) goes on from where its items are ({@link ResumedFailbackVm}),
 * a protection job (EnableProtection, ReverseReplicate) goes on into the cloud VM it had made
 * ({@link ResumedProtectVm}), a failover to the cloud goes on to start the cloud VM ({@link
 * ResumedToCloudVm}), a commit finishes ({@link CommitVm} is idempotent), and so does a
 * RollbackFailback ({@link RollbackFailbackVm}, every step of which runs again). Whatever
 * cannot go on fails, saying how to re-run it, and its items move to where an operator can act
 * again ({@link ItemChecks#recover}).
 */
final class JobContinuation {
  private static final Logger log = LoggerFactory.getLogger(JobContinuation.class);
  private static final Set<ProtectionState> FAILING_BACK = EnumSet.of(
      ProtectionState.FAILING_BACK, ProtectionState.FAILBACK_SYNCED,
      ProtectionState.FAILBACK_COMPLETING);
  private static final Set<ProtectionState> COMMIT_PENDING = EnumSet.of(
      ProtectionState.FAILED_BACK_COMMIT_PENDING, ProtectionState.FAILED_OVER_COMMIT_PENDING);

  private final LifecycleContext context;
  private final VmJobs vmJobs;
  private final RecoveryPlanLookup plans;
  private final List<Runnable> starts = new ArrayList<>();

  private JobContinuation(LifecycleContext context, VmJobs vmJobs, RecoveryPlanLookup plans) {
    this.context = context;
    this.vmJobs = vmJobs;
    this.plans = plans;
  }

  /** @return the unfinished jobs as they are afterwards, the continued ones running */
  static List<Job> run(LifecycleContext context, VmJobs vmJobs, RecoveryPlanLookup plans)
      throws StoreException {
    JobContinuation continuation = new JobContinuation(context, vmJobs, plans);
    List<Job> settled = context.jobs().recover(continuation::plan);
    Set<String> continued = new java.util.HashSet<>();
    settled.stream().filter(job -> !JobTransitions.isTerminal(job.getState()))
        .forEach(job -> continued.add(job.getId()));
    ItemChecks.recover(context, continued);
    continuation.starts.forEach(Runnable::run);
    return settled;
  }

  /** The work that continues {@code job}, or empty when it cannot be continued. */
  private Optional<Runnable> plan(Job job) {
    if (!isFailback(job) && !isProtection(job) && !isFailover(job) && !isCommit(job)
        && !isRollback(job)) {
      return Optional.empty();
    }
    return Optional.of(() -> {
      try {
        starts.add(prepare(job));
      } catch (Exception e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    });
  }

  private Runnable prepare(Job job) throws Exception {
    JobResume resume = job.getResume();
    int resumed = resume.getResumed() + 1;
    Map<String, VmWork> works = new LinkedHashMap<>();
    Map<String, String> ended = new LinkedHashMap<>();
    Instant firstStop = null;
    for (int n = 0; n < job.getVmIdsCount(); n++) {
      String vmId = job.getVmIds(n);
      ProtectedItem item;
      try {
        item = context.items().get(vmId);
      } catch (NotFoundException gone) {
        end(works, ended, vmId, vmId, "not continued: the protected item is gone");
        continue;
      }
      if (isCommit(job)) {
        // A commit is idempotent: it finishes what the stopped one began (a seed kept, the
        // cloud VM deleted or not yet); the item moves on only at its end.
        if (COMMIT_PENDING.contains(item.getState())) {
          works.put(item.getVmId(), new CommitVm(context, item));
        } else {
          end(works, ended, item.getVmId(), item.getVmName(),
              item.getState() == ProtectionState.FAILED_BACK
                  || item.getState() == ProtectionState.FAILED_OVER ? ""
                  : "not continued: the item is " + item.getState());
        }
        continue;
      }
      if (isRollback(job)) {
        // Each step of a rollback runs again safely (RollbackFailbackVm): it goes on.
        if (item.getState() == ProtectionState.FAILBACK_ROLLING_BACK
            && item.getActiveJobId().equals(job.getId())) {
          works.put(item.getVmId(), new RollbackFailbackVm(context, item, lastKnown(item),
              "-v" + n));
        } else {
          end(works, ended, item.getVmId(), item.getVmName(),
              item.getState() == ProtectionState.FAILED_OVER ? ""
                  : "not continued: the item is " + item.getState());
        }
        continue;
      }
      if (item.getState() == ProtectionState.FAILED_BACK_COMMIT_PENDING) {
        end(works, ended, item.getVmId(), item.getVmName(), "");
        continue;
      }
      if (isFailover(job)) {
        if (item.getState() != ProtectionState.FAILING_OVER
            || !item.getActiveJobId().equals(job.getId())) {
          end(works, ended, item.getVmId(), item.getVmName(),
              item.getState() == ProtectionState.FAILED_OVER_COMMIT_PENDING ? ""
                  : "not continued: the item is " + item.getState());
          continue;
        }
        boolean planned = job.getKind().equals(OperatorAction.PLANNED_FAILOVER.rpcName());
        works.put(item.getVmId(), new ResumedToCloudVm(context, item,
            planned ? lastKnown(item) : null, planned, "-v" + n, resumed));
        continue;
      }
      if (isProtection(job)) {
        boolean going = item.getActiveJobId().equals(job.getId())
            && (item.getState() == ProtectionState.INITIAL_REPLICATION
                || item.getState() == ProtectionState.REVERSE_REPLICATING);
        if (!going) {
          end(works, ended, item.getVmId(), item.getVmName(),
              item.getState() == ProtectionState.PROTECTED ? ""
                  : "not continued: the item is " + item.getState());
          continue;
        }
        works.put(item.getVmId(), new ResumedProtectVm(context, item, lastKnown(item),
            item.getState() == ProtectionState.REVERSE_REPLICATING,
            resume.getCloudVmIdsOrDefault(vmId, ""), "-v" + n, resumed));
        continue;
      }
      if (!FAILING_BACK.contains(item.getState()) || !item.getActiveJobId().equals(job.getId())) {
        end(works, ended, item.getVmId(), item.getVmName(),
            "not continued: the item is " + item.getState());
        continue;
      }
      Instant stopped = resume.containsSourceStoppedAt(vmId) ? Instant.ofEpochMilli(
          com.google.protobuf.util.Timestamps.toMillis(resume.getSourceStoppedAtOrThrow(vmId)))
          : null;
      if (stopped != null && (firstStop == null || stopped.isBefore(firstStop))) {
        firstStop = stopped;
      }
      String target = resume.getTargetHostsOrDefault(vmId, "");
      String alternate = target.isEmpty() || target.equalsIgnoreCase(item.getOnPremHost())
          ? "" : target; // relocated already: its VM is the item's now
      works.put(item.getVmId(), new ResumedFailbackVm(context, item, lastKnown(item),
          resume.getDataSync(), alternate, resume.getEncryptionThumbprint(), "-v" + n, stopped,
          resumed));
    }
    boolean waits = isFailback(job) && resume.getDataSync() == DataSync.SYNC_BEFORE_FAILOVER
        && !resume.getCompletionRequested();
    // A protection job starts no VM: one wave, no plan order (as VmJobs launches it); a
    // commit is not cancellable and starts none either (as Lifecycle.commit launches it).
    VmJobs.Kind kind = new VmJobs.Kind(job.getKind(), job.getDirection(), waits,
        !isCommit(job) && !isRollback(job), !isProtection(job) && !isCommit(job));
    log.warn("job " + job.getId() + " (" + job.getKind() + ") was running when the"
        + " controller stopped; continuing it (" + (works.size() - ended.size()) + " of "
        + works.size() + " VMs)");
    return vmJobs.resume(job, kind, isProtection(job) || isCommit(job)
        ? Targets.of(job.getVmIdsList())
        : targets(job), works,
        new VmJob.Continuation(ended, job.getGroupsFinished(), firstStop));
  }

  private static boolean isFailback(Job job) {
    return job.getKind().equals(OperatorAction.PLANNED_FAILOVER.rpcName())
        && job.getDirection() == FailoverDirection.CLOUD_TO_ON_PREM && job.hasResume();
  }

  /** PlannedFailover to the cloud, or UnplannedFailover. */
  private static boolean isFailover(Job job) {
    return job.getKind().equals("UnplannedFailover")
        || job.getKind().equals(OperatorAction.PLANNED_FAILOVER.rpcName())
            && job.getDirection() == FailoverDirection.ON_PREM_TO_CLOUD;
  }

  private static boolean isCommit(Job job) {
    return job.getKind().equals("Commit");
  }

  private static boolean isRollback(Job job) {
    return job.getKind().equals(OperatorAction.ROLLBACK_FAILBACK.rpcName());
  }

  /** EnableProtection and ReverseReplicate: a replication into a new cloud VM. */
  private static boolean isProtection(Job job) {
    return job.getKind().equals("EnableProtection") || job.getKind().equals("ReverseReplicate");
  }

  /** The job's groups: its plan's, if the plan still holds exactly its VMs; else one group. */
  private Targets targets(Job job) {
    if (!job.getRecoveryPlan().isEmpty()) {
      try {
        Targets plan = plans.targets(job.getRecoveryPlan());
        if (Set.copyOf(plan.vmIds()).equals(Set.copyOf(job.getVmIdsList()))) {
          return plan;
        }
      } catch (NotFoundException | StoreException e) {
        // The plan changed or went: the job's VMs, in one group, without delays.
      }
    }
    return Targets.of(job.getVmIdsList());
  }

  /** The on-prem VM as its host last reported it, for names; refreshed once the host answers. */
  private VirtualMachine lastKnown(ProtectedItem item) {
    String id = FlowSupport.onPremVmId(item);
    try {
      Optional<HostInventory> inventory = context.hosts().inventory(item.getOnPremHost());
      if (inventory.isPresent()) {
        for (VirtualMachine vm : inventory.get().getVirtualMachinesList()) {
          if (vm.getId().equalsIgnoreCase(id)) {
            return vm;
          }
        }
      }
    } catch (LifecycleException e) {
      // Named after the item until the host answers.
    }
    return VirtualMachine.newBuilder().setId(id).setName(item.getVmName())
        .setHostName(item.getOnPremHost()).build();
  }

  /** Records a VM whose part of the job had ended: "" when it succeeded, else why not. */
  private static void end(Map<String, VmWork> works, Map<String, String> ended, String vmId,
      String vmName, String why) {
    ended.put(vmId, why);
    works.put(vmId, new EndedVm(vmId, vmName));
  }

  /** A VM of a continued job whose part had ended before the restart. */
  private record EndedVm(String vmId, String vmName) implements VmWork {
    @Override
    public List<String> diskPaths() {
      return List.of();
    }

    @Override
    public void begin(String jobId) {}

    @Override
    public void startTarget() {}

    @Override
    public String abandon(String why, boolean cancelled) {
      return "";
    }
  }
}
