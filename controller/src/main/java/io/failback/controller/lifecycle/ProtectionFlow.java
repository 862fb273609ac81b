package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.checkCancel;
import static io.failback.controller.lifecycle.FlowSupport.quietly;

import com.google.protobuf.util.Timestamps;
import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualMachine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The on-prem-to-cloud half of the loop: protection (initial replication and delta cycles),
 * failover to the cloud, its commit, and reverse replication after a failback.
 *
 * <p>CancelJob stops a job's running sessions at once and the job itself before its next step
 * that changes something; the job ends CANCELLED only then, with the item back where it was.
 */
final class ProtectionFlow {
  private final LifecycleContext context;

  ProtectionFlow(LifecycleContext context) {
    this.context = context;
  }

  Job enable(String vmId)
      throws LifecycleException, NotFoundException, IllegalTransitionException, StoreException {
    VirtualMachine vm = context.hosts().vm(vmId);
    ProtectedItem item;
    try {
      item = context.items().get(vmId);
    } catch (NotFoundException absent) {
      item = context.items().create(vm.getId(), vm.getName(), vm.getHostName());
    }
    context.items().requireAction(item.getVmId(), OperatorAction.ENABLE_PROTECTION);
    Job job = start("EnableProtection", item, vm, ProtectionState.INITIAL_REPLICATION);
    context.workers().execute(() -> replicateInitially(job.getId(), vm));
    return job;
  }

  private Job start(String kind, ProtectedItem item, VirtualMachine vm, ProtectionState to)
      throws NotFoundException, IllegalTransitionException, StoreException {
    Job job = context.jobs().create(kind, FailoverDirection.ON_PREM_TO_CLOUD, "",
        Map.of(vm.getId(), FlowSupport.diskPaths(vm)));
    context.jobs().onCancel(job.getId(), () -> FlowSupport.stopSessions(context, job.getId()));
    context.items().transition(item.getVmId(), item.getState(), to,
        b -> b.setActiveJobId(job.getId()));
    context.jobs().transition(job.getId(), JobState.JOB_RUNNING);
    return context.jobs().get(job.getId());
  }

  private void replicateInitially(String jobId, VirtualMachine vm) {
    CloudVm cloudVm = null;
    try {
      cloudVm = context.cloud().create(FlowSupport.cloudSpec(vm));
      context.jobs().step(jobId, vm.getId(), "cloud VM " + cloudVm.id() + " created (off)");
      replicate(jobId, vm, cloudVm, SyncMode.FULL, "initial replication");
      String cloudId = cloudVm.id();
      context.items().transition(vm.getId(), ProtectionState.INITIAL_REPLICATION,
          ProtectionState.PROTECTED, b -> b.setCloudVmId(cloudId).clearActiveJobId()
              .setLastRecoveryPoint(Timestamps.fromMillis(context.clock().millis())));
      context.jobs().succeed(jobId);
    } catch (Exception e) {
      CloudVm created = cloudVm;
      quietly("removing the half-made cloud VM", () -> {
        if (created != null) {
          context.cloud().delete(created.id());
        }
      });
      fail(jobId, vm.getId(), ProtectionState.UNPROTECTED, "initial replication", e);
    }
  }

  /** Syncs every disk of the on-prem VM into the (off) cloud VM. */
  private void replicate(String jobId, VirtualMachine vm, CloudVm cloudVm, SyncMode mode,
      String what) throws Exception {
    List<BlockDevice> devices = new ArrayList<>();
    try {
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      for (int i = 0; i < vm.getDisksCount(); i++) {
        BlockDevice device = context.cloud().openDisk(cloudVm.id(), i, true);
        devices.add(device);
        disks.add(new DiskTransfer.Disk(i, vm.getDisks(i).getPath(), device, null));
      }
      context.jobs().step(jobId, vm.getId(), what + " started (" + mode + ")");
      checkCancel(context, jobId);
      context.transfer().run(new DiskTransfer.Plan(jobId, vm.getId(), vm.getHostName(), mode,
          SyncRole.SOURCE, "job-" + jobId, "", context.seed(jobId)), disks);
      // A cancel whose sessions had not started yet, or had just ended, stops the job here.
      checkCancel(context, jobId);
      context.jobs().step(jobId, vm.getId(), what + " verified");
    } finally {
      for (BlockDevice device : devices) {
        quietly("closing a cloud disk", device::close);
      }
    }
  }

  /** One delta cycle of a protected VM; the recovery point moves when it succeeds. */
  void cycle(String vmId) throws LifecycleException, NotFoundException, StoreException,
      InterruptedException {
    ProtectedItem item = context.items().get(vmId);
    if (item.getState() != ProtectionState.PROTECTED) {
      throw new LifecycleException("vm " + vmId + " is " + item.getState()
          + "; delta cycles run only while PROTECTED");
    }
    VirtualMachine vm = context.hosts().vm(vmId);
    String cycleId = "cycle-" + Long.toHexString(context.clock().millis());
    java.time.Instant started = context.clock().instant();
    List<BlockDevice> devices = new ArrayList<>();
    try {
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      for (int i = 0; i < vm.getDisksCount(); i++) {
        BlockDevice device = context.cloud().openDisk(item.getCloudVmId(), i, true);
        devices.add(device);
        disks.add(new DiskTransfer.Disk(i, vm.getDisks(i).getPath(), device, null));
      }
      context.transfer().run(new DiskTransfer.Plan("", vmId, vm.getHostName(),
          SyncMode.DELTA, SyncRole.SOURCE, cycleId, "", context.seed(cycleId)), disks);
    } catch (CloudException e) {
      throw new LifecycleException("cloud: " + e.getMessage(), e);
    } finally {
      for (BlockDevice device : devices) {
        quietly("closing a cloud disk", device::close);
      }
    }
    context.items().recordRecoveryPoint(vmId, started);
  }

  Job plannedFailover(ProtectedItem item)
      throws LifecycleException, NotFoundException, IllegalTransitionException, StoreException {
    VirtualMachine vm = context.hosts().vm(item.getVmId());
    Job job = start("PlannedFailover", item, vm, ProtectionState.FAILING_OVER);
    context.workers().execute(() -> {
      try {
        context.jobs().step(job.getId(), vm.getId(), "stopping the on-prem VM");
        context.hosts().stopVm(vm.getHostName(), vm.getId());
        CloudVm cloudVm = context.cloud().get(item.getCloudVmId()).orElseThrow(
            () -> new LifecycleException("cloud VM " + item.getCloudVmId() + " is gone"));
        replicate(job.getId(), vm, cloudVm, SyncMode.DELTA, "final delta sync");
        checkCancel(context, job.getId());
        context.cloud().start(cloudVm.id());
        context.jobs().step(job.getId(), vm.getId(), "cloud VM started");
        context.items().transition(vm.getId(), ProtectionState.FAILING_OVER,
            ProtectionState.FAILED_OVER_COMMIT_PENDING, b -> b.clearActiveJobId());
        context.jobs().succeed(job.getId());
      } catch (Exception e) {
        quietly("restarting the on-prem VM", () -> context.hosts().startVm(vm.getHostName(),
            vm.getId()));
        fail(job.getId(), vm.getId(), ProtectionState.PROTECTED, "planned failover", e);
      }
    });
    return job;
  }

  Job unplannedFailover(ProtectedItem item)
      throws NotFoundException, IllegalTransitionException, StoreException {
    Job job = context.jobs().create("UnplannedFailover", FailoverDirection.ON_PREM_TO_CLOUD,
        "", Map.of(item.getVmId(), List.of()));
    // No session to stop: the flow checks for the cancel before it starts the cloud VM.
    context.jobs().onCancel(job.getId(), () -> { });
    context.items().transition(item.getVmId(), ProtectionState.PROTECTED,
        ProtectionState.FAILING_OVER, b -> b.setActiveJobId(job.getId()));
    context.jobs().transition(job.getId(), JobState.JOB_RUNNING);
    context.workers().execute(() -> failOverUnplanned(job.getId(), item));
    return context.jobs().get(job.getId());
  }

  private void failOverUnplanned(String jobId, ProtectedItem item) {
    boolean stopped = false;
    try {
      stopped = fenceOnPrem(jobId, item);
      checkCancel(context, jobId);
      context.cloud().start(item.getCloudVmId());
      context.jobs().step(jobId, item.getVmId(), "cloud VM started from the replica of "
          + Timestamps.toString(item.getLastRecoveryPoint()));
      context.items().transition(item.getVmId(), ProtectionState.FAILING_OVER,
          ProtectionState.FAILED_OVER_COMMIT_PENDING, b -> b.clearActiveJobId());
      context.jobs().succeed(jobId);
    } catch (Exception e) {
      if (stopped) {
        quietly("restarting the on-prem VM", () -> context.hosts().startVm(
            item.getOnPremHost(), item.getVmId()));
      }
      fail(jobId, item.getVmId(), ProtectionState.PROTECTED, "unplanned failover", e);
    }
  }

  /**
   * Stops the on-prem VM if its host still answers, so that two copies never run; a disaster
   * has usually taken the host away, and then the failover must not wait for it.
   *
   * @return whether it stopped the VM
   */
  private boolean fenceOnPrem(String jobId, ProtectedItem item) throws Exception {
    try {
      context.hosts().stopVm(item.getOnPremHost(), item.getVmId());
      context.jobs().step(jobId, item.getVmId(), "on-prem VM stopped");
      return true;
    } catch (LifecycleException unreachable) {
      context.jobs().step(jobId, item.getVmId(), "on-prem VM not stopped ("
          + unreachable.getMessage() + "); failing over from the last replica regardless");
      return false;
    }
  }

  Job commitFailover(ProtectedItem item)
      throws NotFoundException, IllegalTransitionException, StoreException {
    Job job = context.jobs().create("Commit", FailoverDirection.ON_PREM_TO_CLOUD, "",
        Map.of(item.getVmId(), List.of()));
    context.jobs().transition(job.getId(), JobState.JOB_RUNNING);
    context.items().transition(item.getVmId(), ProtectionState.FAILED_OVER_COMMIT_PENDING,
        ProtectionState.FAILED_OVER, b -> { });
    context.jobs().step(job.getId(), item.getVmId(), "failover committed; the cloud VM is"
        + " the active copy");
    return context.jobs().succeed(job.getId());
  }

  Job reverseReplicate(ProtectedItem item)
      throws LifecycleException, NotFoundException, IllegalTransitionException, StoreException {
    VirtualMachine vm = context.hosts().vm(item.getVmId());
    Job job = start("ReverseReplicate", item, vm, ProtectionState.REVERSE_REPLICATING);
    context.workers().execute(() -> {
      CloudVm cloudVm = null;
      try {
        cloudVm = context.cloud().create(FlowSupport.cloudSpec(vm));
        Path seeds = context.seedDir().resolve(vm.getId());
        boolean seeded = seedFrom(seeds, cloudVm, vm.getDisksCount());
        context.jobs().step(job.getId(), vm.getId(), seeded
            ? "cloud replica seeded from the state kept at failback commit"
            : "no seed kept: full copy");
        replicate(job.getId(), vm, cloudVm, seeded ? SyncMode.DELTA : SyncMode.FULL,
            "reverse replication");
        String cloudId = cloudVm.id();
        context.items().transition(vm.getId(), ProtectionState.REVERSE_REPLICATING,
            ProtectionState.PROTECTED, b -> b.setCloudVmId(cloudId).clearActiveJobId()
                .setLastRecoveryPoint(Timestamps.fromMillis(context.clock().millis())));
        FlowSupport.deleteTree(seeds);
        context.jobs().succeed(job.getId());
      } catch (Exception e) {
        CloudVm created = cloudVm;
        quietly("removing the half-made replica", () -> {
          if (created != null) {
            context.cloud().delete(created.id());
          }
        });
        fail(job.getId(), vm.getId(), ProtectionState.FAILED_BACK, "reverse replication", e);
      }
    });
    return job;
  }

  /** Copies the kept seed disks into the new cloud VM; false when there is no seed. */
  private boolean seedFrom(Path seeds, CloudVm cloudVm, int disks) throws Exception {
    for (int i = 0; i < disks; i++) {
      if (!Files.exists(seeds.resolve("disk-" + i + ".raw"))) {
        return false;
      }
    }
    for (int i = 0; i < disks; i++) {
      try (BlockDevice seed = BlockDevices.open(seeds.resolve("disk-" + i + ".raw"), false);
          BlockDevice disk = context.cloud().openDisk(cloudVm.id(), i, true)) {
        FlowSupport.copyNonZero(seed, disk);
      }
    }
    return true;
  }

  private void fail(String jobId, String vmId, ProtectionState back, String what,
      Exception cause) {
    FlowSupport.failOrCancel(context, jobId, vmId, back, what, cause);
  }
}
