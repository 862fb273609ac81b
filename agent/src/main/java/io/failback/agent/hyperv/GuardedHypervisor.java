package io.failback.agent.hyperv;

import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.VirtualMachine;
import java.io.IOException;
import java.util.Optional;

/**
 * A hypervisor driver that never starts a VM whose disks are inconsistent and shows why in
 * the inventory, and that knows the newest generation of each VM for fencing.
 */
public final class GuardedHypervisor implements HypervisorDriver {
  private final HypervisorDriver inner;
  private final InconsistentVms marks;
  private final VmGenerations generations;

  public GuardedHypervisor(HypervisorDriver inner, InconsistentVms marks,
      VmGenerations generations) {
    this.inner = inner;
    this.marks = marks;
    this.generations = generations;
  }

  public InconsistentVms marks() {
    return marks;
  }

  /** The newest generation seen per VM: commands carrying an older one are refused. */
  public VmGenerations generations() {
    return generations;
  }

  @Override
  public HostInventory inventory() throws IOException {
    HostInventory.Builder inventory = inner.inventory().toBuilder();
    for (VirtualMachine.Builder vm : inventory.getVirtualMachinesBuilderList()) {
      Optional<String> reason = marks.reason(vm.getId());
      if (reason.isPresent()) {
        vm.setInconsistentReason(reason.get());
      }
    }
    return inventory.build();
  }

  @Override
  public void stopVm(String vmId, boolean turnOff) throws IOException {
    inner.stopVm(vmId, turnOff);
  }

  @Override
  public void startVm(String vmId) throws IOException {
    Optional<String> reason = marks.reason(vmId);
    if (reason.isPresent()) {
      throw new IOException("VM " + vmId + " is INCONSISTENT and must not start: "
          + reason.get() + "; re-run the failback to complete its sync");
    }
    inner.startVm(vmId);
  }
}
