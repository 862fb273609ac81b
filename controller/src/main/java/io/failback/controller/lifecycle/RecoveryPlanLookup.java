package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;

/** Finds the groups of a recovery plan by its name, for an action on the whole plan. */
@FunctionalInterface
public interface RecoveryPlanLookup {
  /**
   * @throws NotFoundException if no plan has this name; the message names the plans there are
   */
  Targets targets(String planName) throws NotFoundException, StoreException;

  /**
   * Remembers the plan's RPO target (already checked), which VMs added to the plan later get;
   * a lookup that stores no plans has nothing to remember.
   */
  default void rememberRpoTarget(String planName, java.time.Duration target)
      throws NotFoundException, StoreException {}

  /**
   * Takes VM {@code vmId}, whose protection ended, out of every plan that names it: a group left
   * empty is dropped, a plan left empty is deleted. A plan that another unfinished job than
   * {@code jobId} runs is left as it is.
   *
   * @return what became of each plan that named the VM; none for a lookup of none
   */
  default java.util.List<PlanRemoval> removeVm(String vmId, String jobId)
      throws StoreException {
    return java.util.List.of();
  }
}
