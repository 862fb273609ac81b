package io.failback.controller.lifecycle;

import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualDisk;
import io.failback.proto.v1.VirtualMachine;
import java.util.List;
import java.util.Optional;

/**
 * Whether an item's on-prem VM is gone from its host (deleted, or its disk files deleted):
 * then only a full download can bring it back, into a VM created anew on that host.
 */
final class OnPremLoss {
  private final LifecycleContext context;

  OnPremLoss(LifecycleContext context) {
    this.context = context;
  }

  /**
   * What is lost, as words for the job; empty when the VM and its disks are there, or when the
   * host is offline (its last report is all there is, and the failback fails on its own).
   */
  Optional<String> of(ProtectedItem item) throws LifecycleException {
    String host = item.getOnPremHost();
    if (!context.hosts().isOnline(host)) {
      return Optional.empty();
    }
    Optional<HostInventory> inventory = context.hosts().inventory(host);
    if (inventory.isEmpty()) {
      return Optional.empty();
    }
    String vmId = FlowSupport.onPremVmId(item);
    Optional<VirtualMachine> vm = inventory.get().getVirtualMachinesList().stream()
        .filter(v -> v.getId().equalsIgnoreCase(vmId)).findFirst();
    if (vm.isEmpty()) {
      return Optional.of("(id " + vmId + ") is gone from host " + host);
    }
    List<String> missing = vm.get().getDisksList().stream().filter(VirtualDisk::getMissing)
        .map(VirtualDisk::getPath).toList();
    if (missing.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of("(id " + vmId + ") on host " + host + " lost its disk file"
        + (missing.size() > 1 ? "s " : " ") + String.join(", ", missing));
  }
}
