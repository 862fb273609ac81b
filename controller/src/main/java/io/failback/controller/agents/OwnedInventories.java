package io.failback.controller.agents;

import io.failback.controller.agents.boundary.AgentLimits;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.StoreException;
import io.failback.controller.store.VmOwnerRecords;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualMachine;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each VM id with the host that reported it first.
 *
 * <p>A host's report keeps only the VMs it owns; an id another host owns is left out and
 * recorded as a conflict (logged and audited the first time), so that no lookup can ever pick
 * the wrong host's VM. Only an operator's move changes an owner.
 */
final class OwnedInventories {
  private static final Logger log = LoggerFactory.getLogger(OwnedInventories.class);

  private final ControllerStore store;

  OwnedInventories(ControllerStore store) {
    this.store = store;
  }

  /** {@code inventory} without the VMs another host owns; claims the unowned ones. */
  HostInventory keepOwned(String host, HostInventory inventory, Instant now)
      throws StoreException {
    List<VmOwnerRecords.Report> reports = inventory.getVirtualMachinesList().stream()
        .map(vm -> new VmOwnerRecords.Report(vm.getId(), vm.getName())).toList();
    VmOwnerRecords.Claims claims = store.vmOwnerRecords().claim(host, reports, now);
    releaseBeyondLimit(host, reports);
    if (claims.conflicts().isEmpty()) {
      return inventory;
    }
    for (String vmId : claims.newConflicts()) {
      String owner = claims.conflicts().get(vmId);
      String detail = "host " + host + " reports VM " + vmId + ", which host " + owner
          + " owns; the report is refused until an operator moves the VM"
          + " (failback vm move " + vmId + " --to-host " + host + ")";
      log.warn("VM ownership conflict: " + detail);
      store.auditRecords().append(now, "controller", "", "vm.conflict", "vm/" + vmId, detail);
    }
    HostInventory.Builder kept = inventory.toBuilder().clearVirtualMachines();
    for (VirtualMachine vm : inventory.getVirtualMachinesList()) {
      if (!claims.conflicts().containsKey(vm.getId().toLowerCase(Locale.ROOT))) {
        kept.addVirtualMachines(vm);
      }
    }
    return kept.build();
  }

  /**
   * Releases the ids {@code host} no longer reports beyond {@link AgentLimits#MAX_OWNED_VMS},
   * keeping every protected item's on-prem VM whatever its host reports.
   */
  private void releaseBeyondLimit(String host, List<VmOwnerRecords.Report> reports)
      throws StoreException {
    if (store.vmOwnerRecords().ownedCount(host) <= AgentLimits.MAX_OWNED_VMS) {
      return;
    }
    Set<String> keep = new HashSet<>();
    reports.forEach(report -> keep.add(report.vmId().toLowerCase(Locale.ROOT)));
    for (ProtectedItem item : store.protectedItemRecords().list()) {
      keep.add(item.getVmId().toLowerCase(Locale.ROOT));
      keep.add(item.getOnPremVmId().toLowerCase(Locale.ROOT));
    }
    int released = store.vmOwnerRecords().release(host, keep, AgentLimits.MAX_OWNED_VMS);
    log.warn("host " + host + " owned more than " + AgentLimits.MAX_OWNED_VMS + " VM ids: "
        + released + " it no longer reports were released, the first claimed first");
  }
}
