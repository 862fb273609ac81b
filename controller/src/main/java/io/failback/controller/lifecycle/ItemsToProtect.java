package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.VirtualMachine;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The protected items an EnableProtection acts on: each VM's own, created if it has none. */
final class ItemsToProtect {
  private ItemsToProtect() {}

  /**
   * The items of {@code vmIds}, in order, by VM id.
   *
   * @throws LifecycleException if a VM is the on-prem copy of another item (a failed-back VM
   *     lives on under its item's id; protecting it again would make a second item)
   */
  static Map<String, ProtectedItem> of(LifecycleContext context, List<String> vmIds)
      throws NotFoundException, StoreException, LifecycleException,
      IllegalTransitionException {
    Map<String, ProtectedItem> items = new LinkedHashMap<>();
    for (String vmId : vmIds) {
      VirtualMachine vm = context.hosts().vm(vmId);
      for (ProtectedItem other : context.items().list()) {
        if (other.getOnPremVmId().equalsIgnoreCase(vm.getId())) {
          throw new LifecycleException("vm " + vm.getName() + " (id " + vm.getId() + ") is"
              + " the on-prem copy of protected item " + other.getVmId() + ", which failed"
              + " back to host " + other.getOnPremHost() + "; act on that item instead");
        }
      }
      try {
        items.put(vm.getId(), context.items().get(vm.getId()));
      } catch (NotFoundException absent) {
        items.put(vm.getId(), context.items().create(vm.getId(), vm.getName(),
            vm.getHostName()));
      }
    }
    return items;
  }
}
