package io.failback.controller.grpc;

import io.failback.controller.lifecycle.IllegalTransitionException;
import io.failback.controller.lifecycle.NotFoundException;
import io.failback.controller.store.StoreException;
import io.grpc.Status;
import io.grpc.StatusException;

/** Maps lifecycle and store failures to statuses chosen by what the caller should do next. */
final class LifecycleStatus {

  private LifecycleStatus() {}

  /**
   * NOT_FOUND (fix the request), FAILED_PRECONDITION (change the lifecycle state first) or
   * UNAVAILABLE (the store could not answer; retry); a status passes through as it is.
   *
   * @throws IllegalArgumentException for any other exception: it is a bug, not a status
   */
  static StatusException of(Exception e) {
    if (e instanceof StatusException status) {
      return status;
    } else if (e instanceof NotFoundException) {
      return Status.NOT_FOUND.withDescription(e.getMessage()).asException();
    } else if (e instanceof IllegalTransitionException) {
      return Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asException();
    } else if (e instanceof StoreException) {
      return Status.UNAVAILABLE.withDescription("controller store unavailable: " + e.getMessage())
          .asException();
    }
    throw new IllegalArgumentException("no status for " + e, e);
  }

  /** A required id was left empty. */
  static StatusException empty(String field) {
    return Status.INVALID_ARGUMENT.withDescription(field + " is empty").asException();
  }
}
