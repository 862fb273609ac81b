package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.DiskTracking;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.ReleaseReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One VM's DisableProtection: Failback stops caring for it. Its cloud replica (VM, disks,
 * checkpoints), the seed a failback commit kept, the replica's undo journals and the digest sets
 * of both sides are deleted, and its host drops the read and reference points it made of it.
 * The on-prem VM, the active copy, runs on untouched. The item ends UNPROTECTED with its
 * generation, so the host's fencing still holds if EnableProtection copies it again.
 *
 * <p>Each deletion finds its target gone without failing, so a re-run (after a failure or a
 * controller restart left the item DISABLING_PROTECTION) finishes what the first began.
 */
final class DisableProtectionVm extends ItemWork {

  /** Where the recovery plans are, which the VM leaves: they would refuse it once UNPROTECTED. */
  private final RecoveryPlanLookup plans;
  /** How many disks the replica had, once seen: each may have a digest set on both sides. */
  private volatile int replicaDisks;
  /** Whether the cloud VM stays, no longer Failback's, rather than being deleted. */
  private final boolean keepCloudVm;
  /** Whether the cloud VM kept had been failed over to (its failover left a tracking point). */
  private volatile boolean keptActive;

  private DisableProtectionVm(LifecycleContext context, ProtectedItem item,
      RecoveryPlanLookup plans, boolean keepCloudVm, String tag) {
    super(context, item, null, tag);
    this.plans = plans;
    this.keepCloudVm = keepCloudVm;
  }

  static Job launch(LifecycleContext context, VmJobs vmJobs, Targets targets,
      RecoveryPlanLookup plans, boolean keepCloudVm) throws Exception {
    Map<String, ProtectedItem> checked =
        ItemChecks.require(context, targets, OperatorAction.DISABLE_PROTECTION);
    for (ProtectedItem item : checked.values()) {
      if (item.getState() == ProtectionState.FAILED_OVER && !keepCloudVm) {
        throw new LifecycleException("cannot DisableProtection: vm " + item.getVmName()
            + " (id " + item.getVmId() + ") is FAILED_OVER: its cloud VM "
            + item.getCloudVmId() + " is the active copy, which is never deleted; to keep it"
            + " in the cloud for good and end Failback's care of it, ask with keep_cloud_vm"
            + " (failback unprotect --keep-cloud-vm)");
      }
    }
    List<VmWork> works = new ArrayList<>();
    for (ProtectedItem item : checked.values()) {
      works.add(new DisableProtectionVm(context, item, plans,
          keepCloudVm || item.getDisablingKeepsCloudVm(), "-v" + works.size()));
    }
    // Not cancellable: a replica deleted half-way cannot be put back, and a re-run finishes.
    return vmJobs.launch(new VmJobs.Kind(OperatorAction.DISABLE_PROTECTION.rpcName(),
        FailoverDirection.ON_PREM_TO_CLOUD, false, false, false), targets, works, checked);
  }

  @Override
  public void begin(String jobId) throws Exception {
    this.jobId = jobId;
    // From here no delta cycle starts: they run only while PROTECTED. A cloud VM to keep is
    // kept by every re-run after a failure too.
    context.items().transition(vmId(), item.getState(), ProtectionState.DISABLING_PROTECTION,
        b -> b.setActiveJobId(jobId).setDisablingKeepsCloudVm(keepCloudVm));
  }

  @Override
  public void transfer() throws Exception {
    ReentrantLock replica = context.replicaLocks().of(vmId());
    // A delta cycle that began before the item moved holds the replica's disks open: wait.
    if (!replica.tryLock()) {
      step("waiting for the delta cycle under way to end");
      replica.lockInterruptibly();
    }
    List<String> digestSets;
    try {
      if (keepCloudVm) {
        releaseCloudVm();
      } else {
        deleteReplica();
      }
      digestSets = digestSets();
      deleteControllerState(digestSets);
    } finally {
      replica.unlock();
    }
    releaseOnPrem(digestSets);
  }

  private void deleteReplica() throws Exception {
    if (item.getCloudVmId().isEmpty()) {
      step("no cloud replica to delete");
      return;
    }
    Optional<CloudVm> replica = context.cloud().get(item.getCloudVmId());
    if (replica.isEmpty()) {
      step("cloud replica " + item.getCloudVmId() + " is already gone");
      return;
    }
    replicaDisks = replica.get().disks().size();
    String powered = "";
    if (replica.get().state() != PowerState.OFF) {
      // A replica runs only if someone started it outside Failback: it is not the active copy.
      context.cloud().powerOff(replica.get().id());
      powered = " (it was " + replica.get().state() + ", started outside Failback: powered off)";
    }
    context.cloud().delete(replica.get().id());
    step("cloud replica " + replica.get().id() + " deleted with its "
        + replica.get().disks().size() + " disk(s) and checkpoints" + powered);
  }

  /** Leaves the cloud VM as it is; only Failback's tracking of it goes. */
  private void releaseCloudVm() throws Exception {
    String id = item.getCloudVmId();
    Optional<CloudVm> kept = id.isEmpty() ? Optional.empty() : context.cloud().get(id);
    if (kept.isEmpty()) {
      step(id.isEmpty() ? "no cloud VM to keep" : "cloud VM " + id + " is already gone");
      return;
    }
    replicaDisks = kept.get().disks().size();
    keptActive = item.hasFailoverBaseline() || kept.get().state() != PowerState.OFF;
    // Its tracking point and what failbacks left: on KVM, checkpoints whose bitmaps would
    // track the guest's writes for ever.
    List<String> snapshots = context.cloud().snapshots(id);
    List<String> left = new ArrayList<>();
    for (String snapshot : snapshots) {
      try {
        context.cloud().releaseSnapshot(snapshot);
      } catch (CloudException e) {
        // Never a reason to stop the VM that stays: said, for its administrator.
        left.add(snapshot + " (" + e.getMessage() + ")");
      }
    }
    step("cloud VM " + id + " kept as it is (" + kept.get().state() + ", "
        + kept.get().disks().size() + " disk(s)), no longer Failback's; "
        + (snapshots.size() - left.size()) + " tracking point(s) and snapshot(s) of it released"
        + (left.isEmpty() ? "" : "; not released: " + String.join("; ", left))
        + (item.hasReplicaWrittenSince() ? "; its disks hold part of a replication begun at "
            + com.google.protobuf.util.Timestamps.toString(item.getReplicaWrittenSince())
            + " that never finished: check its file systems before use" : ""));
  }

  private void deleteControllerState(List<String> digestSetNames) throws Exception {
    List<String> removed = new ArrayList<>();
    java.nio.file.Path seeds = FlowSupport.seeds(context, item);
    if (java.nio.file.Files.isDirectory(seeds)) {
      FlowSupport.deleteTree(seeds);
      removed.add("the seed kept at failback commit");
    }
    if (ReplicaUndo.of(context).discard(vmId())) {
      removed.add("the replica's undo journals");
    }
    int digestSets = 0;
    for (String name : digestSetNames) {
      digestSets += context.syncs().deleteDigestSet(name) ? 1 : 0;
    }
    if (digestSets > 0) {
      removed.add(digestSets + " digest set(s)");
    }
    step(removed.isEmpty() ? "the controller kept nothing else of the VM"
        : "the controller deleted " + String.join(", ", removed));
  }

  /** The host drops its read and reference points of the VM and its digest sets. */
  private void releaseOnPrem(List<String> digestSets) throws Exception {
    String host = item.getOnPremHost();
    try {
      ReleaseReport report = context.hosts().releaseVm(host, FlowSupport.onPremVmId(item),
          item.getGeneration(), digestSets);
      step("host " + host + " dropped " + report.getReadPointsDiscarded() + " read point(s), "
          + report.getReferencePointsDestroyed() + " reference point(s) and "
          + report.getDigestSetsDeleted() + " digest set(s) it kept of the VM");
    } catch (LifecycleException e) {
      // A retired host is a reason to disable protection: its answer is not waited for.
      step("host " + host + " keeps its read and reference points of the VM for now ("
          + e.getMessage() + "); run DisableProtection again once the host can do it");
    }
  }

  /**
   * The item's digest sets: one per disk, named alike on both sides. The disks are the
   * replica's, the tracking's and the on-prem VM's: its host may be gone, its last cycle may
   * have left no tracking.
   */
  private List<String> digestSets() {
    TreeSet<Integer> disks = new TreeSet<>();
    for (int i = 0; i < replicaDisks; i++) {
      disks.add(i);
    }
    for (DiskTracking tracking : item.getDiskTrackingList()) {
      disks.add(tracking.getDiskIndex());
    }
    try {
      int known = context.hosts().vm(FlowSupport.onPremVmId(item)).getDisksCount();
      for (int i = 0; i < known; i++) {
        disks.add(i);
      }
    } catch (LifecycleException unknown) {
      // Its host is gone from the inventory: the tracking's disks are all there is to go by.
    }
    return disks.stream().map(i -> Replication.digestSetPrefix(item) + "-d" + i).toList();
  }

  @Override
  public void startTarget() throws Exception {
    // Before the item moves, so that a restart in between leaves DISABLING_PROTECTION, whose
    // re-run does it again; an UNPROTECTED VM left in a plan would fail the plan's failover.
    for (PlanRemoval removal : plans.removeVm(vmId(), jobId)) {
      step(removal.describe());
    }
    pastNoReturn = true;
    context.items().transition(vmId(), ProtectionState.DISABLING_PROTECTION,
        ProtectionState.UNPROTECTED, DisableProtectionVm::forget);
    step("protection disabled: the item is UNPROTECTED; EnableProtection copies the VM again"
        + " from scratch");
    if (keepCloudVm && (item.getState() == ProtectionState.FAILED_OVER || keptActive)) {
      step("the on-prem VM on host " + item.getOnPremHost() + " is as it was at the failover,"
          + " older than the cloud VM kept: starting it beside that one makes two live copies,"
          + " and EnableProtection would copy the older VM");
    }
  }

  /** What an UNPROTECTED item keeps: who the VM is, where it runs, its generation. */
  private static void forget(ProtectedItem.Builder b) {
    b.clearActiveJobId().clearCloudVmId().clearLastRecoveryPoint().clearDiskTracking()
        .clearUndoJournal().clearCurrentRpo().clearRpoWarning().clearLastCycleError()
        .clearRollbackAtCloudState().clearDrill().clearOnPremStartDue().clearFailoverBaseline()
        .clearReplicaWrittenSince().clearReplicaWritesUndoable().clearBootWarning()
        .clearCloudVmWarning().clearOnPremVmWarning().clearInconsistentReason()
        .clearDisablingKeepsCloudVm();
  }

  @Override
  public String abandon(String why, boolean cancelled) {
    if (pastNoReturn) {
      return keptAfterNoReturn();
    }
    quietly("releasing the item", () -> context.items().transition(vmId(),
        ProtectionState.DISABLING_PROTECTION, ProtectionState.DISABLING_PROTECTION,
        b -> b.clearActiveJobId()));
    return "the item stays DISABLING_PROTECTION (its on-prem VM runs on): run"
        + " DisableProtection again to finish";
  }
}
