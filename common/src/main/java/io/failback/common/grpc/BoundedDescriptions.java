package io.failback.common.grpc;

import io.failback.common.text.BoundedText;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * The last line of defence for status descriptions: whatever a service closes a call with, the
 * description the caller receives is within {@link BoundedText#MAX_DESCRIPTION_BYTES} and says
 * when it was cut. Services bound their echoes themselves; this catches what they missed, since
 * a description is an HTTP/2 trailer and an oversized one breaks the caller's connection.
 */
public final class BoundedDescriptions implements ServerInterceptor {
  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    return next.startCall(new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        super.close(bounded(status), trailers);
      }
    }, headers);
  }

  /** {@code status} with its description bounded. */
  public static Status bounded(Status status) {
    String description = status.getDescription();
    if (description == null || BoundedText.fits(description)) {
      return status;
    }
    return status.withDescription(BoundedText.description(description));
  }
}
