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
  /** What the operator does about it when the VM comes home: a VM of the cloud VM's shape. */
  static final String FAILBACK_REMEDY = "a failback writes each of the cloud VM's disks into"
      + " the on-prem disk of its place: give the on-prem VM back the disks it had, or fail back"
      + " to another host (target_host), where a VM of the cloud VM's shape is created";

  private ReplicaShape() {}

  /** Where {@code vm}'s disks differ from its replica's, or empty when they fit. */
  static Optional<String> mismatch(VirtualMachine vm, CloudVm replica) {
    return mismatch(vm, replica, "its replica");
  }

  /** Where {@code vm}'s disks differ from {@code cloudVm}'s, named {@code copy}, if they do. */
  static Optional<String> mismatch(VirtualMachine vm, CloudVm cloudVm, String copy) {
    List<VirtualDisk> onPrem = vm.getDisksList();
    List<CloudDisk> cloud = cloudVm.disks();
    if (onPrem.size() != cloud.size()) {
      return Optional.of("VM " + vm.getName() + " has " + onPrem.size() + " disk(s) on host "
          + vm.getHostName() + ", " + copy + " " + cloud.size() + " (a disk was "
          + (onPrem.size() > cloud.size() ? "added" : "removed") + " since protection"
          + (onPrem.size() > cloud.size() ? ": " + onPrem.get(cloud.size()).getPath()
              + " is not in " + copy.replaceFirst("^its ", "the ") : "") + ")");
    }
    for (int i = 0; i < onPrem.size(); i++) {
      long size = onPrem.get(i).getVirtualSizeBytes();
      // A missing file has no size to compare: the checks of what a host can read say it.
      if (!onPrem.get(i).getMissing() && size != cloud.get(i).virtualSize()) {
        return Optional.of("disk " + i + " of VM " + vm.getName() + " ("
            + onPrem.get(i).getPath() + ") is " + ByteText.human(size) + " on host "
            + vm.getHostName() + ", " + ByteText.human(cloud.get(i).virtualSize())
            + " in " + copy + " (resized since protection)");
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

  /**
   * Refuses a failback into {@code vm} (null: a new VM of the cloud VM's shape, which fits)
   * whose disks no longer fit the item's cloud VM: phase 1 would fail on the first of them.
   */
  static void requireForFailback(LifecycleContext context, ProtectedItem item,
      VirtualMachine vm) throws LifecycleException {
    Optional<String> mismatch = vm == null ? Optional.empty() : cloudVm(context, item)
        .flatMap(cloudVm -> mismatch(vm, cloudVm, "the cloud VM"));
    if (mismatch.isPresent()) {
      throw new LifecycleException("cannot fail back: " + mismatch.get() + "; " + FAILBACK_REMEDY);
    }
  }

  /** {@link #mismatch(VirtualMachine, CloudVm)} of the item's replica; empty if it is gone. */
  static Optional<String> mismatch(LifecycleContext context, ProtectedItem item,
      VirtualMachine vm) throws LifecycleException {
    return cloudVm(context, item).flatMap(replica -> mismatch(vm, replica));
  }

  private static Optional<CloudVm> cloudVm(LifecycleContext context, ProtectedItem item)
      throws LifecycleException {
    try {
      return context.cloud().get(item.getCloudVmId());
    } catch (CloudException e) {
      throw new LifecycleException("cloud: " + e.getMessage(), e);
    }
  }
}
