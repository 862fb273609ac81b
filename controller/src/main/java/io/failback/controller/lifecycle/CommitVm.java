package io.failback.controller.lifecycle;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.controller.cloud.CloudVm;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One VM's commit. After a failover to the cloud it only records that the cloud VM is the
 * active copy. After a failback it keeps the cloud VM's final state as the seed for reverse
 * replication, then deletes the cloud VM and its disks; the item stays
 * FAILED_BACK_COMMIT_PENDING until that is done, so a failed commit can be run again.
 */
final class CommitVm extends ItemWork {

  CommitVm(LifecycleContext context, ProtectedItem item) {
    super(context, item, null, "");
  }

  /** Commit: makes failovers or failbacks final. */
  static Job launch(LifecycleContext context, VmJobs vmJobs, Targets targets) throws Exception {
    Map<String, ProtectedItem> checked =
        ItemChecks.require(context, targets, OperatorAction.COMMIT);
    for (ProtectedItem item : checked.values()) {
      // A second commit would delete the seed the first is writing.
      ItemChecks.refuseWhileCommitRuns(context, item, OperatorAction.COMMIT);
    }
    boolean failback = checked.values().stream()
        .allMatch(i -> i.getState() == ProtectionState.FAILED_BACK_COMMIT_PENDING);
    List<VmWork> works = checked.values().stream()
        .map(item -> (VmWork) new CommitVm(context, item)).toList();
    // Deleting is not undone half-way: a commit runs to its end.
    return vmJobs.launch(new VmJobs.Kind("Commit", failback
        ? FailoverDirection.CLOUD_TO_ON_PREM : FailoverDirection.ON_PREM_TO_CLOUD, false,
        false, false), targets, works, checked);
  }

  private boolean afterFailback() {
    return item.getState() == ProtectionState.FAILED_BACK_COMMIT_PENDING;
  }

  @Override
  public void begin(String jobId) throws Exception {
    this.jobId = jobId;
    if (!afterFailback()) {
      context.items().transition(vmId(), ProtectionState.FAILED_OVER_COMMIT_PENDING,
          ProtectionState.FAILED_OVER, b -> { });
      step("failover committed; the cloud VM is the active"
          + " copy");
    }
  }

  @Override
  public void transfer() throws Exception {
    if (!afterFailback()) {
      return;
    }
    Path seeds = FlowSupport.seeds(context, item);
    Optional<CloudVm> found = context.cloud().get(item.getCloudVmId());
    if (found.isEmpty()) {
      // An earlier commit kept the seed and deleted the cloud VM, then failed: finish it.
      if (Files.isDirectory(seeds)) {
        step("cloud VM " + item.getCloudVmId() + " was deleted by an earlier commit; its seed"
            + " is kept");
        return;
      }
      throw new LifecycleException("cloud VM " + item.getCloudVmId() + " is gone and no seed"
          + " was kept; reverse replication will copy the whole disks");
    }
    CloudVm cloudVm = found.get();
    FlowSupport.deleteTree(seeds);
    Files.createDirectories(seeds);
    for (int i = 0; i < cloudVm.disks().size(); i++) {
      try (BlockDevice disk = context.cloud().openDisk(cloudVm.id(), i, false);
          BlockDevice seed = BlockDevices.createRawSparse(seeds.resolve("disk-" + i + ".raw"),
              disk.size())) {
        FlowSupport.copyNonZero(disk, seed);
      }
    }
    step("final synced state kept as the seed for reverse"
        + " replication");
    context.cloud().delete(cloudVm.id());
    step("cloud VM " + cloudVm.id() + " and its disks deleted");
  }

  @Override
  public void startTarget() throws Exception {
    if (afterFailback()) {
      discardUndo();
      context.items().transition(vmId(), ProtectionState.FAILED_BACK_COMMIT_PENDING,
          ProtectionState.FAILED_BACK, b -> b.clearCloudVmId().clearUndoJournal());
    }
  }

  /** The failback is final: the agent no longer needs the on-prem disks' old bytes. */
  private void discardUndo() throws Exception {
    if (item.getUndoJournal().isEmpty()) {
      return;
    }
    try {
      context.hosts().discardUndo(item.getOnPremHost(), FlowSupport.onPremVmId(item),
          item.getGeneration(), item.getUndoJournal());
      step("undo journals of the on-prem disks deleted: the failback is final");
    } catch (LifecycleException e) {
      // Harmless: the agent replaces them at the VM's next failback.
      step("the undo journals stay on host " + item.getOnPremHost() + " for now ("
          + e.getMessage() + "); the VM's next failback replaces them");
    }
  }

  @Override
  public String abandon(String why, boolean cancelled) {
    // Nothing to undo: the item is still where it was and Commit may run again.
    return "the item is still " + item.getState() + ": run Commit again";
  }
}
