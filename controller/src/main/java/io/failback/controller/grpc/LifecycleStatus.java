package io.failback.controller.grpc;

import io.failback.controller.lifecycle.IllegalTransitionException;
import io.failback.controller.lifecycle.InvalidArgumentException;
import io.failback.controller.lifecycle.NotFoundException;
import io.failback.controller.plans.RecoveryPlanException;
import io.failback.controller.store.StoreException;
import io.grpc.Status;
import io.grpc.StatusException;

/**
 * Maps lifecycle, recovery plan and store failures to statuses chosen by what the caller should
 * do next.
 */
final class LifecycleStatus {

  private LifecycleStatus() {}

  /**
   * NOT_FOUND (fix the request), FAILED_PRECONDITION (change the lifecycle state first) or
   * UNAVAILABLE (the store could not answer; retry); a recovery plan failure by its reason; a
   * status passes through as it is.
   *
   * and INTERNAL, naming the exception, for anything else (a bug or an unexpected failure)
   */
  static StatusException of(Exception e) {
    if (e instanceof StatusException status) {
      return status;
    } else if (e instanceof InvalidArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException();
    } else if (e instanceof NotFoundException) {
      return Status.NOT_FOUND.withDescription(e.getMessage()).asException();
    } else if (e instanceof IllegalTransitionException) {
      return Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asException();
    } else if (e instanceof RecoveryPlanException plan) {
      return of(plan.reason()).withDescription(e.getMessage()).asException();
    } else if (e instanceof StoreException) {
      return Status.UNAVAILABLE.withDescription("controller store unavailable: " + e.getMessage())
          .asException();
    }
    // Not a failure the caller can fix: say what happened rather than leave a bare UNKNOWN.
    return Status.INTERNAL.withDescription("controller error: " + e).withCause(e).asException();
  }

  private static Status of(RecoveryPlanException.Reason reason) {
    return switch (reason) {
      case INVALID -> Status.INVALID_ARGUMENT;
      case NOT_FOUND -> Status.NOT_FOUND;
      case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
      // Retrying cannot help while the job runs: end the job first.
      case IN_USE -> Status.FAILED_PRECONDITION;
    };
  }

  /** A required id was left empty. */
  static StatusException empty(String field) {
    return Status.INVALID_ARGUMENT.withDescription(field + " is empty").asException();
  }
}
