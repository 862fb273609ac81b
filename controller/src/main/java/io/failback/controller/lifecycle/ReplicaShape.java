package io.failback.controller.lifecycle;

import io.failback.common.text.ByteText;
import io.failback.controller.cloud.CloudDisk;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.CloudVm;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.util.List;
import java.util.Optional;

/**
 * Whether an on-prem VM's disks still fit its cloud replica: the same number, each of the same
 * size. An administrator may add, remove or resize a disk of a protected VM on its host; the
 * replica keeps the shape protection gave it, so its delta cycles and its failover to the cloud
 * cannot go on (a disk's blocks would land in another disk, or past its end). Said before
 * anything is touched, with what to do, instead of a transfer failing half-way, after the
 * on-prem VM was stopped for it.
 */
final class ReplicaShape {
  /** What the operator does about it: the replica is made anew, every disk copied. */
  static final String REMEDY = "a replica keeps the disks protection gave it: protect the VM"
      + " again (failback unprotect VM --yes, then failback protect VM) to copy every disk anew";

  private ReplicaShape() {}

  /** Where {@code vm}'s disks differ from its replica's, or empty when they fit. */
  static Optional<String> mismatch(VirtualMachine vm, CloudVm replica) {
    List<VirtualDisk> onPrem = vm.getDisksList();
    List<CloudDisk> cloud = replica.disks();
    if (onPrem.size() != cloud.size()) {
      return Optional.of("VM " + vm.getName() + " has " + onPrem.size() + " disk(s) on host "
          + vm.getHostName() + ", its replica " + cloud.size() + " (a disk was "
          + (onPrem.size() > cloud.size() ? "added" : "removed") + " since protection"
          + (onPrem.size() > cloud.size() ? ": " + onPrem.get(cloud.size()).getPath()
              + " is not in the replica" : "") + ")");
    }
    for (int i = 0; i < onPrem.size(); i++) {
      long size = onPrem.get(i).getVirtualSizeBytes();
      if (size != cloud.get(i).virtualSize()) {
        return Optional.of("disk " + i + " of VM " + vm.getName() + " ("
            + onPrem.get(i).getPath() + ") is " + ByteText.human(size) + " on host "
            + vm.getHostName() + ", " + ByteText.human(cloud.get(i).virtualSize())
            + " in its replica (resized since protection)");
      }
    }
    return Optional.empty();
  }

  /** Refuses to replicate {@code vm} into its item's replica when their shapes differ. */
  static void require(LifecycleContext context, ProtectedItem item, VirtualMachine vm)
      throws LifecycleException {
    Optional<String> mismatch = mismatch(context, item, vm);
    if (mismatch.isPresent()) {
      throw new LifecycleException(mismatch.get() + "; " + REMEDY);
    }
  }

  /** {@link #mismatch(VirtualMachine, CloudVm)} of the item's replica; empty if it is gone. */
  static Optional<String> mismatch(LifecycleContext context, ProtectedItem item,
      VirtualMachine vm) throws LifecycleException {
    try {
      return context.cloud().get(item.getCloudVmId()).flatMap(replica -> mismatch(vm, replica));
    } catch (CloudException e) {
      throw new LifecycleException("cloud: " + e.getMessage(), e);
    }
  }
}
