package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.checkCancel;
import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.common.disk.BlockDevice;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualMachine;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** On-prem to cloud data movement: a job's replication of a VM, and the periodic cycles. */
final class Replication {
  private final LifecycleContext context;

  Replication(LifecycleContext context) {
    this.context = context;
  }

  /**
   * Syncs every disk of the on-prem VM into the (off) cloud VM; a cancel of the job stops it.
   *
   * @param tag tells this VM's sessions apart from the other VMs of the job
   */
  void replicate(String jobId, String tag, ProtectedItem item, VirtualMachine vm,
      String cloudVmId, SyncMode mode, String what) throws Exception {
    List<BlockDevice> devices = new ArrayList<>();
    try {
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      for (int i = 0; i < vm.getDisksCount(); i++) {
        BlockDevice device = context.cloud().openDisk(cloudVmId, i, true);
        devices.add(device);
        disks.add(new DiskTransfer.Disk(i, vm.getDisks(i).getPath(), device, null));
      }
      // The job knows the VM by its item's id, whichever host the VM now lives on.
      context.jobs().step(jobId, item.getVmId(), what + " started (" + mode + ")");
      checkCancel(context, jobId);
      context.transfer().run(new DiskTransfer.Plan(jobId, item.getVmId(), vm.getHostName(),
          item.getGeneration(), mode, SyncRole.SOURCE, "job-" + jobId + tag, "",
          context.seed(jobId + tag)), disks);
      // A cancel whose sessions had not started yet, or had just ended, stops the job here.
      checkCancel(context, jobId);
      context.jobs().step(jobId, item.getVmId(), what + " verified");
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
    VirtualMachine vm = context.hosts().vm(FlowSupport.onPremVmId(item));
    String cycleId = "cycle-" + Long.toHexString(context.clock().millis());
    Instant started = context.clock().instant();
    List<BlockDevice> devices = new ArrayList<>();
    try {
      List<DiskTransfer.Disk> disks = new ArrayList<>();
      for (int i = 0; i < vm.getDisksCount(); i++) {
        BlockDevice device = context.cloud().openDisk(item.getCloudVmId(), i, true);
        devices.add(device);
        disks.add(new DiskTransfer.Disk(i, vm.getDisks(i).getPath(), device, null));
      }
      context.transfer().run(new DiskTransfer.Plan("", vmId, vm.getHostName(),
          item.getGeneration(), SyncMode.DELTA, SyncRole.SOURCE, cycleId, "", context.seed(cycleId)), disks);
    } catch (CloudException e) {
      throw new LifecycleException("cloud: " + e.getMessage(), e);
    } finally {
      for (BlockDevice device : devices) {
        quietly("closing a cloud disk", device::close);
      }
    }
    context.items().recordRecoveryPoint(vmId, started);
  }
}
