package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import com.google.protobuf.util.Timestamps;
import io.failback.common.text.ByteText;
import io.failback.controller.cloud.CloudException;
import io.failback.proto.v1.DiskRollback;
import io.failback.proto.v1.DiskTracking;
import io.failback.proto.v1.FailoverBaseline;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One VM's failover to the cloud: planned (on-prem VM off, final delta, cloud VM started) or
 * unplanned (cloud VM started from the last replica; the on-prem VM is stopped if its host
 * still answers, but the failover does not wait for a host the disaster took away).
 */
class ToCloudVm extends ItemWork {
  final boolean planned;
  private volatile boolean onPremStopped;
  /** How long a delta cycle that an unplanned failover interrupts has to let go of the replica. */
  static final Duration LET_GO = Duration.ofSeconds(30);
  /** An unplanned failover's replica digest sets, as the last cycle left them; else empty. */
  private volatile List<DiskTracking> replicaAtFailover = List.of();

  /** @param vm the VM as its host reports it; null for an unplanned failover */
  ToCloudVm(LifecycleContext context, ProtectedItem item, VirtualMachine vm, boolean planned,
      String tag) {
    super(context, item, vm, tag);
    this.planned = planned;
  }

  @Override
  public void begin(String jobId) throws Exception {
    this.jobId = jobId;
    // The replica's digest sets go with the move out of PROTECTED. An unplanned failover keeps
    // them for its baseline only while no cycle holds the replica: a cycle in flight may have
    // written part of it. It is not waited for: it may hang on a host the disaster took away.
    ReentrantLock replica = context.replicaLocks().of(vmId());
    boolean idle = !planned && replica.tryLock();
    try {
      // A start still due from a cancelled failover gives way: this one stops the VM itself.
      context.items().transition(vmId(), ProtectionState.PROTECTED,
          ProtectionState.FAILING_OVER, b -> {
            // A pass that wrote part of the replica and never verified it: no digest set
            // describes it.
            replicaAtFailover = idle && !b.hasReplicaWrittenSince()
                ? List.copyOf(b.getDiskTrackingList()) : List.of();
            b.setActiveJobId(jobId).setOnPremStartDue(false);
          });
    } finally {
      if (idle) {
        replica.unlock();
      }
    }
  }

  @Override
  public void stopSource() throws Exception {
    if (planned) {
      step("stopping the on-prem VM");
      sourceStopping = context.clock().instant();
      // From the moment it is sent: a wait cut short by a cancel leaves the stop to land later.
      onPremStopped = true;
      context.hosts().stopVm(item.getOnPremHost(), FlowSupport.onPremVmId(item),
          item.getGeneration());
      if (vm != null && vm.getPowerState() == io.failback.proto.v1.PowerState.RUNNING) {
        // Only a running VM's stop says how long this host takes (an Off VM's is instant).
        context.timings().power(item.getOnPremHost(), Timings.Power.STOP,
            Duration.between(sourceStopping, context.clock().instant()));
      }
      return;
    }
    try {
      onPremStopped = true;
      sourceStopping = context.clock().instant();
      context.hosts().stopVm(item.getOnPremHost(), FlowSupport.onPremVmId(item),
          item.getGeneration());
      step("on-prem VM stopped");
    } catch (LifecycleException unreachable) {
      // Only a wait the cancel cut leaves the stop to land later; a refused one changed nothing.
      onPremStopped = context.jobs().cancelRequested(jobId);
      step("on-prem VM not stopped (" + unreachable.getMessage()
          + "); failing over from the last replica regardless");
    }
  }

  @Override
  public void transfer() throws Exception {
    if (planned) {
      context.cloud().get(item.getCloudVmId()).orElseThrow(
          () -> new LifecycleException("cloud VM " + item.getCloudVmId() + " is gone"));
      // While the VMs are down: only what the host tracked since the last cycle, where the
      // last cycle left reference points in the VM's blocks; a checksum pass where not.
      new Replication(context).replicate(jobId, tag, item, vm, item.getCloudVmId(),
          SyncMode.TRACKED, "final delta sync");
    }
  }

  @Override
  public void startTarget() throws Exception {
    FlowSupport.checkCancel(context, jobId);
    Instant starting = context.clock().instant();
    FailoverBaseline baseline = FailoverBaseline.getDefaultInstance();
    ProtectedItem now = context.items().get(vmId());
    if (!planned) {
      now = takeReplica(now);
    }
    // The replica's digest sets describe it (the final sync's, or the last cycle's): from here
    // on the cloud tracks what the VM writes, so a failback can send only that. What the host
    // wrote after the last cycle the failback's verify pass finds, as any on-prem write.
    List<DiskTracking> replica = planned ? now.getDiskTrackingList() : replicaAtFailover;
    if (!replica.isEmpty() && replica.size() == cloudDisks()) {
      String tracking = context.cloud().startTracked(item.getCloudVmId());
      if (!tracking.isEmpty()) {
        baseline = FailoverBaseline.newBuilder().setCloudTrackingPoint(tracking)
            .addAllDisks(replica).build();
      }
    } else {
      // A disk without a digest set: no failback could use a tracking point.
      context.cloud().start(item.getCloudVmId());
    }
    pastNoReturn = true;
    context.timings().power(Timings.CLOUD, Timings.Power.START,
        Duration.between(starting, context.clock().instant()));
    step((planned ? "cloud VM started" : "cloud VM started from the replica of "
        + Timestamps.toString(now.getLastRecoveryPoint()) + (now.hasReplicaWrittenSince()
        ? " and part of the replication begun at "
            + Timestamps.toString(now.getReplicaWrittenSince()) : ""))
        + (baseline.getCloudTrackingPoint().isEmpty() ? ", its writes not tracked ("
            + (replica.isEmpty() || replica.size() != cloudDisks() ? "the replica has no digest"
                + " sets" : "the cloud made no tracking point") + "): a failback's phase 1"
            + " compares every block's checksums"
        : ", its writes tracked from the first (tracking point "
            + baseline.getCloudTrackingPoint() + "): a failback's phase 1 sends only them")
        + FlowSupport.startNotes(context.cloud(), item.getCloudVmId()));
    FailoverBaseline kept = baseline;
    context.items().transition(vmId(), ProtectionState.FAILING_OVER,
        ProtectionState.FAILED_OVER_COMMIT_PENDING,
        b -> {
          // Said above where it was set: the replica is the running VM's disk from here on.
          b.clearActiveJobId().clearReplicaWrittenSince().clearReplicaWritesUndoable();
          if (!kept.getCloudTrackingPoint().isEmpty()) {
            b.setFailoverBaseline(kept);
          }
        });
  }

  /**
   * Takes the replica from a delta cycle still writing it, which an unplanned failover does not
   * wait for: its host may be gone, and the cycle would wait for it (--agent-return-timeout)
   * while the cloud VM cannot start. The cycle is interrupted and given {@link #LET_GO} to let
   * go; then what unfinished passes wrote is put back ({@link #undoUnfinished}).
   *
   * @return the item as it is now
   */
  private ProtectedItem takeReplica(ProtectedItem now) throws Exception {
    ReplicaLocks.ReplicaLock replica = context.replicaLocks().of(vmId());
    boolean held = replica.tryLock();
    if (!held) {
      replica.holder().ifPresent(Thread::interrupt);
      held = replica.tryLock(LET_GO.toSeconds(), TimeUnit.SECONDS);
      if (held) {
        step("a delta cycle still writing the replica was stopped: an unplanned failover does"
            + " not wait for it");
      }
    }
    try {
      ProtectedItem current = context.items().get(vmId());
      return current.hasReplicaWrittenSince() ? undoUnfinished(current, held) : current;
    } finally {
      if (held) {
        replica.unlock();
      }
    }
  }

  /**
   * The replica holds part of a replication that never verified it: puts back what that pass
   * overwrote, from the replica's undo journals, so the cloud VM starts from the last recovery
   * point; where that cannot be done, says what it starts from instead.
   *
   * @param held whether this failover holds the replica's lock
   * @return the item as it is now
   */
  private ProtectedItem undoUnfinished(ProtectedItem now, boolean held) throws Exception {
    String since = Timestamps.toString(now.getReplicaWrittenSince());
    String point = Timestamps.toString(now.getLastRecoveryPoint());
    String why;
    if (held) {
      try {
        ReplicaUndo undo = ReplicaUndo.of(context);
        if (undo.kept(vmId())) {
          List<DiskRollback> back = undo.undo(vmId(), disk -> {
            try {
              return context.cloud().openDisk(item.getCloudVmId(), disk, true);
            } catch (CloudException e) {
              throw new IOException(e.getMessage(), e);
            }
          });
          context.items().replicaVerified(vmId());
          long regions = back.stream().mapToLong(d -> d.getRegionsRestored()).sum();
          long bytes = back.stream().mapToLong(d -> d.getBytesRestored()).sum();
          step("the replication begun at " + since + " did not finish: the " + regions
              + " regions (" + ByteText.human(bytes) + ") it had"
              + " overwritten were put back; the cloud VM starts from the recovery point of "
              + point);
          return context.items().get(vmId());
        }
        why = "no undo journal of it is left";
      } catch (IOException e) {
        why = "putting it back failed: " + e.getMessage();
      }
    } else {
      why = "a replication still holds the replica";
    }
    step("the replica holds part of a replication begun at " + since + " that never verified"
        + " it (" + why + "): the cloud VM starts from disks that are neither the recovery point"
        + " of " + point + " nor a later one; check its file systems");
    return now;
  }

  private int cloudDisks() throws Exception {
    return context.cloud().get(item.getCloudVmId()).map(cloudVm -> cloudVm.disks().size())
        .orElse(0);
  }

  @Override
  public String abandon(String why, boolean cancelled) {
    if (pastNoReturn) {
      // The cloud VM runs: restarting the on-prem VM now would make two live copies.
      return keptAfterNoReturn();
    }
    String notStarted = !onPremStopped ? null : FlowSupport.onAnsweringHost(context,
        item.getOnPremHost(), "restarting the on-prem VM", () -> context.hosts().startVm(
            item.getOnPremHost(), FlowSupport.onPremVmId(item), item.getGeneration()));
    // The stop may still land (a link that held it back): start the VM once the host answers.
    quietly("returning the item to PROTECTED", () -> context.items().transition(vmId(), null,
        ProtectionState.PROTECTED, b -> b.clearActiveJobId().setOnPremStartDue(
            notStarted != null)));
    return (!onPremStopped ? "" : notStarted == null ? "the on-prem VM runs again; "
        : "the on-prem VM may be off (" + notStarted + "); it is started as soon as host "
            + item.getOnPremHost() + " answers; ") + "the item is PROTECTED again";
  }
}
