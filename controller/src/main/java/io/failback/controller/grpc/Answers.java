package io.failback.controller.grpc;

import io.failback.controller.agents.HostAdminException;
import io.failback.controller.certificates.CertificateException;
import io.failback.controller.store.StoreException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.StreamObserver;

/**
 * Answers a unary call from a body that returns its response or throws a domain exception,
 * mapped to the status whose retry semantics fit it (STYLE.md rule 5).
 */
final class Answers {
  private Answers() {}

  /** The body of a unary call. */
  interface Body<T> {
    T get() throws Exception;
  }

  static <T> void answer(StreamObserver<T> responses, Body<T> body) {
    T value;
    try {
      value = body.get();
    } catch (StatusException e) {
      responses.onError(e);
      return;
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      responses.onError(statusOf(e).asException());
      return;
    }
    responses.onNext(value);
    responses.onCompleted();
  }

  private static Status statusOf(Exception e) {
    if (e instanceof HostAdminException refused) {
      return (switch (refused.kind()) {
        case INVALID -> Status.INVALID_ARGUMENT;
        case NOT_FOUND -> Status.NOT_FOUND;
        case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
      }).withDescription(e.getMessage());
    }
    if (e instanceof CertificateException refused) {
      return (switch (refused.kind()) {
        case INVALID -> Status.INVALID_ARGUMENT;
        case DENIED -> Status.PERMISSION_DENIED;
        case NOT_ISSUING -> Status.FAILED_PRECONDITION;
        case TOO_OFTEN -> Status.RESOURCE_EXHAUSTED;
      }).withDescription(e.getMessage());
    }
    if (e instanceof StoreException) {
      return Status.UNAVAILABLE.withDescription("controller store unavailable: "
          + e.getMessage());
    }
    return Status.UNAVAILABLE.withDescription("cannot answer now: " + e.getMessage());
  }
}
