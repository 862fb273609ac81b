package io.failback.controller.agents;

import io.failback.controller.agents.boundary.AgentLimits;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.StoreException;
import io.failback.controller.store.StoredHost;
import io.failback.controller.store.VmOwnerRecords;
import io.failback.proto.v1.HostInventory;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualMachine;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each VM id with the host that reported it first. Used under the registry's lock.
 *
 * <p>A host's report keeps only the VMs it owns; an id another host owns is left out and
 * recorded as a conflict (logged and audited the first time), so that no lookup can ever pick
 * the wrong host's VM. Only an operator's move changes an owner.
 */
final class OwnedInventories {
  private static final Logger log = LoggerFactory.getLogger(OwnedInventories.class);
  /** A Hyper-V failover cluster runs at most 8,000 VMs: more ids than any host sees. */
  static final int MAX_AUDITED_PER_HOST = 8 * AgentLimits.MAX_VMS;

  private final ControllerStore store;
  /**
   * Per host, the conflicts audited (VM id to its owner then), least recently reported first.
   * The store forgets a conflict once a report leaves the VM out, so a host that reported it,
   * dropped it and reported it again appended an audit row each time, without end.
   */
  private final Map<String, Map<String, String>> audited = new HashMap<>();

  OwnedInventories(ControllerStore store) {
    this.store = store;
  }

  /**
   * Stores a registered host's inventory that a command's answer refreshed, as {@link
   * #keepOwned} keeps it; returns that.
   */
  HostInventory refreshed(String host, HostInventory inventory, Instant now)
      throws StoreException {
    StoredHost stored = store.hostRecords().host(host).orElseThrow();
    HostInventory kept = keepOwned(host, inventory, now);
    store.hostRecords().recordRegistration(host, kept, stored.remoteAddress(),
        stored.agentInstanceId(), now);
    return kept;
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
    Map<String, String> seen = audited.computeIfAbsent(host, h -> new Recent());
    for (Map.Entry<String, String> conflict : claims.conflicts().entrySet()) {
      String vmId = conflict.getKey();
      String owner = conflict.getValue();
      if (owner.equals(seen.put(vmId, owner)) || !claims.newConflicts().contains(vmId)) {
        continue;
      }
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

  /** The {@link #MAX_AUDITED_PER_HOST} conflicts of a host reported last. */
  private static final class Recent extends LinkedHashMap<String, String> {
    Recent() {
      super(16, 0.75f, true);
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > MAX_AUDITED_PER_HOST;
    }
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
