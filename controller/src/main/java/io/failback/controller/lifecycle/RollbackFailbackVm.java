package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.common.disk.BlockDevice;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.RollbackReport;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualMachine;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One VM's RollbackFailback: undoes its completed failback before commit. The on-prem VM stops;
 * its disks first go back to the failback's end, which the cloud VM's disks still hold (off and
 * unchanged since phase 2), so what the VM wrote since it started is discarded; then the agent
 * puts back from the undo journals what the failback overwrote. The cloud VM starts again and
 * the item is FAILED_OVER, as if the failback had never run.
 *
 * <p>Every step can run again, and the order makes that safe: the disks are brought to the
 * cloud VM's state only while their journals are whole, and the item records that they are
 * ({@code rollback_at_cloud_state}) before the journals are applied and deleted. Interrupted
 * before anything was written on-prem, the failback stands and the on-prem VM runs again;
 * after, the item stays FAILBACK_ROLLING_BACK with neither copy running until RollbackFailback
 * runs again (a restarted controller goes on by itself); with only the journals left, their
 * rollback is due and the cloud VM runs meanwhile.
 */
final class RollbackFailbackVm extends ItemWork {
  private long generation;
  private boolean onPremStopped;
  /** This run may have written an on-prem disk: the on-prem VM must not start again. */
  private boolean onPremWritten;

  RollbackFailbackVm(LifecycleContext context, ProtectedItem item, VirtualMachine vm,
      String tag) {
    super(context, item, vm, tag);
    this.generation = item.getGeneration();
  }

  /**
   * Asks each target's host whether its failback can be rolled back ({@link #check}), before
   * the job exists: a refusal changes nothing, not even the list of jobs. Called outside the
   * lock jobs are launched under: the host reads its journals, which may take long (or never
   * end, on a compromised host), and no launch of another VM may wait for that. The agent
   * checks the journals again before its rollback writes anything.
   */
  static void checkHosts(LifecycleContext context, Targets targets) throws Exception {
    for (ProtectedItem item : ItemChecks.require(context, targets,
        OperatorAction.ROLLBACK_FAILBACK).values()) {
      check(context, item);
    }
  }

  /** Checks the targets' items, then (unless {@code validateOnly}: null) starts the job. */
  static io.failback.proto.v1.Job launch(LifecycleContext context, VmJobs vmJobs,
      Targets targets, boolean validateOnly) throws Exception {
    java.util.Map<String, ProtectedItem> checked =
        ItemChecks.require(context, targets, OperatorAction.ROLLBACK_FAILBACK);
    List<VmWork> works = new ArrayList<>();
    for (ProtectedItem item : checked.values()) {
      works.add(new RollbackFailbackVm(context, item, context.hosts().vm(
          FlowSupport.onPremVmId(item)), "-v" + works.size()));
    }
    // Not cancellable: every step is undone by running it again, not by stopping half-way.
    return validateOnly ? null : vmJobs.launch(new VmJobs.Kind("RollbackFailback",
        io.failback.proto.v1.FailoverDirection.ON_PREM_TO_CLOUD, false, false, true), targets,
        works, checked);
  }

  /**
   * Whether {@code item}'s failback can be rolled back now: its host answers and keeps
   * readable undo journals of it. Changes nothing; the refusal says why.
   */
  static RollbackReport check(LifecycleContext context, ProtectedItem item) throws Exception {
    String subject = "vm " + item.getVmName() + " (id " + item.getVmId() + ")";
    ItemChecks.refuseWhileCommitRuns(context, item, OperatorAction.ROLLBACK_FAILBACK);
    if (item.getUndoJournal().isEmpty()) {
      // A failback to an alternate host made a new VM there: nothing on-prem was overwritten,
      // and the item's old host may hold a VM that a rollback would have to bring back.
      throw new LifecycleException("cannot RollbackFailback " + subject + ": its failback kept"
          + " no undo journal (it went to another host, or ran before journals existed);"
          + " Commit keeps it, or PlannedFailover to the cloud moves it back");
    }
    if (context.cloud().get(item.getCloudVmId()).isEmpty()) {
      throw new LifecycleException("cannot RollbackFailback " + subject + ": its cloud VM "
          + item.getCloudVmId() + " is gone");
    }
    try {
      return context.hosts().checkUndo(item.getOnPremHost(), FlowSupport.onPremVmId(item),
          item.getGeneration(), item.getUndoJournal());
    } catch (UndoUnusableException e) {
      throw new LifecycleException("cannot RollbackFailback " + subject + ": "
          + e.getMessage() + "; nothing was changed (Commit keeps the failback)");
    }
  }

  @Override
  public void begin(String jobId) throws Exception {
    this.jobId = jobId;
    // Run again (or continued after a restart): an earlier run may have written on-prem.
    onPremWritten = item.getState() == ProtectionState.FAILBACK_ROLLING_BACK;
    ProtectedItem now = context.items().transition(vmId(), item.getState(),
        ProtectionState.FAILBACK_ROLLING_BACK, b -> b.setActiveJobId(jobId));
    generation = now.getGeneration();
  }

  @Override
  public void stopSource() throws Exception {
    context.transfer().awaitAgent(item.getOnPremHost(), jobId);
    step("stopping the on-prem VM");
    sourceStopping = context.clock().instant();
    context.hosts().stopVm(item.getOnPremHost(), FlowSupport.onPremVmId(item), generation);
    onPremStopped = true;
    step("on-prem VM stopped; the cloud VM stays off until its disks are the active copy");
  }

  @Override
  public void transfer() throws Exception {
    CloudVm cloudVm = context.cloud().get(item.getCloudVmId()).orElseThrow(
        () -> new LifecycleException("cloud VM " + item.getCloudVmId() + " is gone"));
    if (cloudVm.state() != PowerState.OFF) {
      // Its disks are the failback's end only while it stays off.
      throw new LifecycleException("cloud VM " + cloudVm.id() + " is " + cloudVm.state()
          + "; its disks no longer hold the failback's end");
    }
    if (!context.items().get(vmId()).getRollbackAtCloudState()) {
      toCloudState();
    } else {
      step("the on-prem disks were brought to the cloud VM's state before: only the undo"
          + " journals are left");
    }
    RollbackReport report = context.hosts().rollbackDisks(item.getOnPremHost(),
        FlowSupport.onPremVmId(item), generation, item.getUndoJournal());
    step("the on-prem disks were rolled back to their state before the failback ("
        + FailbackRollback.describe(report) + ")");
  }

  /** Writes back every block that differs from the cloud VM's disks: the failback's end. */
  private void toCloudState() throws Exception {
    List<BlockDevice> cloudDisks = new ArrayList<>();
    try {
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      VirtualMachine onPrem = context.hosts().vm(FlowSupport.onPremVmId(item));
      for (int i = 0; i < onPrem.getDisksCount(); i++) {
        BlockDevice device = context.cloud().openDisk(item.getCloudVmId(), i, false);
        cloudDisks.add(device);
        disks.add(new DiskTransfer.Disk(i, onPrem.getDisks(i).getPath(), device, null));
      }
      String sessions = "job-" + jobId + tag + "-rollback";
      // No undo journal here: the failback's journals must keep the bytes from before it.
      DiskTransfer.Plan plan = new DiskTransfer.Plan(jobId, vmId(), item.getOnPremHost(),
          generation, SyncMode.DELTA, SyncRole.TARGET, sessions, "", context.seed(sessions),
          null, false, "", DiskTransfer.ReadBack.WRITTEN).withBlocks(blocks());
      onPremWritten = true;
      List<SyncOutcome> outcomes = context.transfer().run(plan, disks);
      // Blocks that differed went as data or, where the cloud disk reads zeros, as zero runs.
      long discarded = outcomes.stream().mapToLong(o -> o.controller().progress().blocksSent()
          + o.controller().progress().blocksZero()).sum();
      long scanned = outcomes.stream()
          .mapToLong(o -> o.controller().progress().blocksScanned()).sum();
      context.items().transition(vmId(), ProtectionState.FAILBACK_ROLLING_BACK,
          ProtectionState.FAILBACK_ROLLING_BACK, b -> b.setRollbackAtCloudState(true));
      step(String.format(Locale.ROOT, "on-prem disks back at the failback's end: %d blocks"
          + " the on-prem VM wrote since it started discarded (%.1f MiB; %d blocks compared)",
          discarded, discarded * 65536 / 1048576.0, scanned));
      context.jobs().editTask(jobId, vmId(), "", t -> t.setBlocksDiscarded(discarded));
    } finally {
      cloudDisks.forEach(d -> quietly("closing a cloud disk", d::close));
    }
  }

  @Override
  public void startTarget() throws Exception {
    String notes = "";
    if (context.cloud().get(item.getCloudVmId()).map(c -> c.state() != PowerState.RUNNING)
        .orElse(true)) {
      notes = FlowSupport.startCloudVm(context.cloud(), item.getCloudVmId());
    }
    pastNoReturn = true;
    context.items().transition(vmId(), ProtectionState.FAILBACK_ROLLING_BACK,
        ProtectionState.FAILED_OVER, b -> b.clearActiveJobId().clearUndoJournal()
            .setRollbackAtCloudState(false).clearInconsistentReason());
    step("cloud VM " + item.getCloudVmId() + " started: the failback is undone and the item"
        + " is FAILED_OVER" + notes);
  }

  @Override
  public String abandon(String why, boolean cancelled) {
    if (pastNoReturn) {
      return keptAfterNoReturn();
    }
    ProtectedItem now;
    try {
      now = context.items().get(vmId());
    } catch (Exception e) {
      return "the item is FAILBACK_ROLLING_BACK: run RollbackFailback again";
    }
    if (now.getRollbackAtCloudState()) {
      // Only the journals are left, and the cloud copy no longer matters to them: it runs,
      // and the agent puts the journals back as soon as it can (the existing due rollback).
      quietly("leaving the journals' rollback due", () -> context.items().transition(vmId(),
          ProtectionState.FAILBACK_ROLLING_BACK, ProtectionState.FAILBACK_INCONSISTENT,
          b -> b.clearActiveJobId().setRollbackAtCloudState(false).setInconsistentReason(
              "RollbackFailback job " + jobId + " " + why + " with only the undo journals"
                  + " left to put back; they are put back as soon as host "
                  + item.getOnPremHost() + " can")));
      return FlowSupport.restartCloudVm(context.cloud(), item.getCloudVmId()) + "; the on-prem"
          + " disks' undo journals are put back as soon as host " + item.getOnPremHost()
          + " can";
    }
    if (!onPremWritten) {
      // Nothing changed on-prem: the failback stands, and its VM runs again.
      quietly("putting the item back", () -> context.items().transition(vmId(),
          ProtectionState.FAILBACK_ROLLING_BACK, ProtectionState.FAILED_BACK_COMMIT_PENDING,
          b -> b.clearActiveJobId()));
      String notStarted = !onPremStopped ? null : FlowSupport.onAnsweringHost(context,
          item.getOnPremHost(), "starting the on-prem VM again", () -> context.hosts().startVm(
              item.getOnPremHost(), FlowSupport.onPremVmId(item),
              context.items().get(vmId()).getGeneration()));
      return "nothing was written on-prem: the failback stands"
          + (!onPremStopped ? "" : notStarted == null ? ", the on-prem VM runs again"
              : ", the on-prem VM is still off (" + notStarted + "): start it on host "
                  + item.getOnPremHost())
          + " and the item is FAILED_BACK_COMMIT_PENDING";
    }
    quietly("releasing the item", () -> context.items().transition(vmId(),
        ProtectionState.FAILBACK_ROLLING_BACK, ProtectionState.FAILBACK_ROLLING_BACK,
        b -> b.clearActiveJobId()));
    return "the on-prem disks are part way back and neither copy runs (the cloud VM's disks"
        + " are unchanged): run RollbackFailback again";
  }
}
