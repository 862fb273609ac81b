package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The commit of a failback: the cloud VM's final state is kept as the seed for reverse
 * replication, then the cloud VM and its disks are deleted.
 *
 * <p>The item stays FAILED_BACK_COMMIT_PENDING until the job ends, so starting a commit is
 * serialized here: a second one meanwhile would delete the seed the first is writing.
 */
final class FailbackCommit {
  private final LifecycleContext context;

  FailbackCommit(LifecycleContext context) {
    this.context = context;
  }

  synchronized Job commit(String vmId)
      throws NotFoundException, IllegalTransitionException, StoreException {
    // Checked again under the lock: the previous commit may have ended meanwhile.
    ProtectedItem item = context.items().requireAction(vmId, OperatorAction.COMMIT);
    for (Job other : context.jobs().list(vmId)) {
      if (other.getKind().equals("Commit") && !JobTransitions.isTerminal(other.getState())) {
        throw new IllegalTransitionException("cannot Commit (commit job " + other.getId()
            + " is running)", "vm " + item.getVmName() + " (id " + vmId + ")",
            item.getState().name(), List.of());
      }
    }
    Job job = context.jobs().create("Commit", FailoverDirection.CLOUD_TO_ON_PREM, "",
        Map.of(vmId, List.of()));
    // Deleting is not undone half-way: this job runs to its end.
    context.jobs().allowActions(job.getId(), List.of());
    context.jobs().transition(job.getId(), JobState.JOB_RUNNING);
    context.workers().execute(() -> run(job.getId(), item));
    return context.jobs().get(job.getId());
  }

  private void run(String jobId, ProtectedItem item) {
    try {
      Path seeds = context.seedDir().resolve(item.getVmId());
      FlowSupport.deleteTree(seeds);
      Files.createDirectories(seeds);
      CloudVm cloudVm = context.cloud().get(item.getCloudVmId()).orElseThrow(
          () -> new LifecycleException("cloud VM " + item.getCloudVmId() + " is gone"));
      for (int i = 0; i < cloudVm.disks().size(); i++) {
        try (BlockDevice disk = context.cloud().openDisk(cloudVm.id(), i, false);
            BlockDevice seed = BlockDevices.createRawSparse(seeds.resolve("disk-" + i
                + ".raw"), disk.size())) {
          FlowSupport.copyNonZero(disk, seed);
        }
      }
      context.jobs().step(jobId, item.getVmId(), "final synced state kept as the seed"
          + " for reverse replication");
      context.cloud().delete(cloudVm.id());
      context.jobs().step(jobId, item.getVmId(), "cloud VM " + cloudVm.id()
          + " and its disks deleted");
      context.items().transition(item.getVmId(), ProtectionState.FAILED_BACK_COMMIT_PENDING,
          ProtectionState.FAILED_BACK, b -> b.clearCloudVmId());
      context.jobs().succeed(jobId);
    } catch (Exception e) {
      quietly("failing job " + jobId, () -> context.jobs().fail(jobId,
          "commit failed: " + e.getMessage()));
    }
  }
}
