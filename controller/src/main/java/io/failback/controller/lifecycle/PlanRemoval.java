package io.failback.controller.lifecycle;

import static java.util.Objects.requireNonNull;

/**
 * What taking a VM whose protection ended out of one recovery plan did to that plan.
 *
 * @param plan the plan's name as stored
 * @param detail for {@link Outcome#REMOVED}, the group dropped (or empty); for {@link
 *     Outcome#PLAN_DELETED}, empty, or how it went otherwise; for {@link Outcome#KEPT}, why the
 *     plan was left as it was
 */
public record PlanRemoval(String plan, Outcome outcome, String detail) {
  /** What became of the plan. */
  public enum Outcome {
    /** The VM is no longer in the plan; other VMs are. */
    REMOVED,
    /** The plan named no other VM and is gone. */
    PLAN_DELETED,
    /** The plan still names the VM; {@link #detail} says why. */
    KEPT
  }

  public PlanRemoval {
    requireNonNull(plan, "plan");
    requireNonNull(outcome, "outcome");
    requireNonNull(detail, "detail");
  }

  /** The job's sentence about it. */
  String describe() {
    return switch (outcome) {
      case REMOVED -> "the VM was taken out of recovery plan " + plan + detail;
      case PLAN_DELETED -> "recovery plan " + plan
          + (detail.isEmpty() ? " named no other VM: deleted" : " was " + detail);
      case KEPT -> "recovery plan " + plan + " still names the VM (" + detail + "): remove it"
          + " there with UpdateRecoveryPlan, since the plan's actions refuse an UNPROTECTED VM";
    };
  }
}
