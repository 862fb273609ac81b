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

  /** The names of the plans whose groups name VM {@code vmId}; none for a lookup of none. */
  default java.util.List<String> plansNaming(String vmId) throws StoreException {
    return java.util.List.of();
  }
}
