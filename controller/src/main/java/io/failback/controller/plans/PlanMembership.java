package io.failback.controller.plans;

import io.failback.controller.lifecycle.PlanRemoval;
import io.failback.controller.lifecycle.PlanRemoval.Outcome;
import io.failback.controller.store.RecoveryPlanRecords;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.RecoveryPlan;
import io.failback.proto.v1.RecoveryPlanGroup;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Takes a VM out of one recovery plan. A VM whose protection ended would otherwise make the
 * plan's every action refuse the whole plan, which an operator would find out in a disaster.
 * A group left empty goes with its delay and manual action; a plan left empty is deleted, as
 * a plan of no VMs cannot be stored.
 */
final class PlanMembership {
  private PlanMembership() {}

  static PlanRemoval remove(RecoveryPlanRecords plans, String name, String vmId, Instant at)
      throws StoreException {
    if (plans.deleteIf(name, plan -> without(plan, vmId).getGroupsCount() == 0)) {
      return new PlanRemoval(name, Outcome.PLAN_DELETED, "");
    }
    // A VM is in one group of a plan at most: that group goes if it named only the VM.
    int[] dropped = {0};
    Optional<RecoveryPlan> after = plans.update(name, at, stored -> {
      RecoveryPlan next = without(stored, vmId);
      dropped[0] = droppedGroup(stored, vmId);
      // Emptied since deleteIf looked: left for the operator rather than stored empty.
      return next.getGroupsCount() == 0 ? stored : next;
    });
    if (after.isEmpty()) {
      return new PlanRemoval(name, Outcome.PLAN_DELETED, "deleted meanwhile");
    }
    if (names(after.get(), vmId)) {
      return new PlanRemoval(after.get().getName(), Outcome.KEPT,
          "it was changed meanwhile to name only this VM");
    }
    String detail = dropped[0] == 0 ? "" : "; its group " + dropped[0] + " named only this VM"
        + " and went with its delay and manual action";
    return new PlanRemoval(after.get().getName(), Outcome.REMOVED, detail);
  }

  static boolean names(RecoveryPlan plan, String vmId) {
    return plan.getGroupsList().stream().flatMap(group -> group.getVmIdsList().stream())
        .anyMatch(vmId::equalsIgnoreCase);
  }

  /** The plan without the VM; groups left empty dropped. */
  private static RecoveryPlan without(RecoveryPlan plan, String vmId) {
    RecoveryPlan.Builder next = plan.toBuilder().clearGroups();
    for (RecoveryPlanGroup group : plan.getGroupsList()) {
      List<String> kept = group.getVmIdsList().stream()
          .filter(id -> !id.equalsIgnoreCase(vmId)).toList();
      if (!kept.isEmpty()) {
        next.addGroups(group.toBuilder().clearVmIds().addAllVmIds(kept));
      }
    }
    return next.build();
  }

  /** The group (numbered from 1, as the CLI shows them) that named only the VM; else 0. */
  private static int droppedGroup(RecoveryPlan plan, String vmId) {
    for (int g = 0; g < plan.getGroupsCount(); g++) {
      List<String> ids = plan.getGroups(g).getVmIdsList();
      if (!ids.isEmpty() && ids.stream().allMatch(vmId::equalsIgnoreCase)) {
        return g + 1;
      }
    }
    return 0;
  }
}
