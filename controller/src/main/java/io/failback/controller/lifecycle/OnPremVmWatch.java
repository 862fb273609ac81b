package io.failback.controller.lifecycle;

import com.google.protobuf.Descriptors;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualMachine;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices two live copies: while a VM's cloud copy is the active one, its on-prem VM runs
 * again, most often because its host came back after an unplanned failover and started its
 * VMs as Hyper-V's automatic start action says. Both guests then answer on the same addresses
 * and the on-prem one writes to disks the failback will overwrite. The item says so ({@code
 * on_prem_vm_warning}, since when), the log says it once, until the VM is off or the item moves
 * on. It stops nothing itself: the operator decides, and a failback turns the VM off first.
 *
 * <p>Only an online host's inventory counts: an offline host's last report is from before the
 * disaster, when its VM ran as it should.
 */
final class OnPremVmWatch {
  private static final Logger log = LoggerFactory.getLogger(OnPremVmWatch.class);
  private static final Descriptors.FieldDescriptor WARNING = ProtectedItem.getDescriptor()
      .findFieldByNumber(ProtectedItem.ON_PREM_VM_WARNING_FIELD_NUMBER);

  private final LifecycleContext context;

  OnPremVmWatch(LifecycleContext context) {
    this.context = context;
  }

  /** Looks at every item's on-prem VM once; an item whose check fails is said and skipped. */
  void check(List<ProtectedItem> items) {
    for (ProtectedItem item : items) {
      FlowSupport.quietly("checking the on-prem VM of " + item.getVmName(), () -> check(item));
    }
  }

  private void check(ProtectedItem item) throws Exception {
    if (!watched(item)) {
      if (!item.getOnPremVmWarning().isEmpty()) {
        context.items().updateWarning(item.getVmId(), WARNING, now -> "");
      }
      return;
    }
    if (!context.hosts().isOnline(item.getOnPremHost())) {
      return; // its last report is no news; the warning stays as it was
    }
    Optional<VirtualMachine> vm = onPremVm(context, item);
    boolean live = vm.map(OnPremVmWatch::live).orElse(false);
    if (live != item.getOnPremVmWarning().isEmpty()) {
      return; // as the item says already
    }
    String warning = live ? "on-prem VM " + item.getVmName() + " is "
        + vm.get().getStateDetail() + " on host " + item.getOnPremHost() + " (seen "
        + context.clock().instant() + ") while its cloud copy is the active one: two live"
        + " copies. Turn it off on the host; a failback turns it off first and overwrites what"
        + " it wrote since the failover (kept in the undo journals until commit)" : "";
    // Read again in the transaction: a job may have begun since the listing.
    ProtectedItem after = context.items().updateWarning(item.getVmId(), WARNING,
        now -> watched(now) && now.getOnPremVmWarning().isEmpty() == live ? warning : null);
    if (!after.getOnPremVmWarning().equals(warning)) {
      return;
    }
    if (live) {
      log.warn(item.getVmName() + " (" + item.getVmId() + "): " + warning);
    } else {
      log.info(item.getVmName() + " (" + item.getVmId() + "): the on-prem VM is off again");
    }
  }

  /**
   * Turns off a failback's on-prem VM before anything is written to it, as ever; when it was
   * not off, {@code work}'s job says so: its writes since the failover are about to go.
   */
  static void stopBeforeFailback(LifecycleContext context, ProtectedItem item,
      VirtualMachine onPrem, ItemWork work) throws Exception {
    Optional<VirtualMachine> was = onPremVm(context, item).filter(OnPremVmWatch::live);
    context.hosts().stopVm(onPrem.getHostName(), onPrem.getId(), item.getGeneration());
    if (was.isPresent()) {
      work.step("on-prem VM " + was.get().getName() + " was " + was.get().getStateDetail()
          + " on host " + onPrem.getHostName() + " while its cloud copy was the active one"
          + " (two live copies): turned off before any write. What it wrote since the failover"
          + " is overwritten by this failback; the undo journals keep it until commit"
          + " (RollbackFailback puts it back)");
    }
  }

  private static Optional<VirtualMachine> onPremVm(LifecycleContext context, ProtectedItem item)
      throws LifecycleException {
    String vmId = FlowSupport.onPremVmId(item);
    return context.hosts().inventory(item.getOnPremHost())
        .map(HostInventory::getVirtualMachinesList).flatMap(vms -> vms.stream()
            .filter(vm -> vm.getId().equalsIgnoreCase(vmId)).findFirst());
  }

  /** Running, paused or saved: a copy that runs or resumes where it was. */
  private static boolean live(VirtualMachine vm) {
    return vm.getPowerState() != PowerState.OFF
        && vm.getPowerState() != PowerState.POWER_STATE_UNSPECIFIED;
  }

  private static boolean watched(ProtectedItem item) {
    return !item.getOnPremHost().isEmpty() && CloudVmWatch.cloudCopyIdle(item);
  }
}
