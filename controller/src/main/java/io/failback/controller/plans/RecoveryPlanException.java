package io.failback.controller.plans;

import static java.util.Objects.requireNonNull;

/** A recovery plan request that cannot be done; the message names what is wrong and the fix. */
public final class RecoveryPlanException extends Exception {

  /** Why, chosen by what the caller has to do before trying again. */
  public enum Reason {
    /** The plan or name breaks a rule: fix the request. */
    INVALID,
    /** No plan has this name: list the plans, or create it. */
    NOT_FOUND,
    /** A plan with this name exists: update it, or choose another name. */
    ALREADY_EXISTS,
    /** An unfinished job runs the plan: wait for it or cancel it. */
    IN_USE
  }

  private final Reason reason;

  RecoveryPlanException(Reason reason, String message) {
    super(message);
    this.reason = requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}
