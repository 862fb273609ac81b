package io.failback.common.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;

/**
 * Ends a call whose attempt failed in a way that trying again until the deadline cannot mend:
 * a TLS handshake that failed (a certificate of another CA, revoked, expired) or controller
 * addresses that do not resolve. gRPC's retry policy sees only the status code, UNAVAILABLE,
 * the same as a takeover's; this looks at each attempt's cause and cancels the call, which
 * then ends with that attempt's status, cause included.
 */
final class UnmendableFailures implements ClientInterceptor {
  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
      CallOptions options, Channel next) {
    AtomicReference<Status> unmendable = new AtomicReference<>();
    AtomicReference<ClientCall<Q, R>> call = new AtomicReference<>();
    ClientStreamTracer.Factory watch = AttemptTracing.factory(info -> new ClientStreamTracer() {
      @Override
      public void streamClosed(Status status) {
        if (isUnmendable(status) && unmendable.compareAndSet(null, status)) {
          // Not from inside the transport's callback: the retry machinery holds its lock.
          CompletableFuture.runAsync(() -> call.get().cancel(status.getDescription(),
              status.getCause()));
        }
      }
    });
    call.set(next.newCall(method, options.withStreamTracerFactory(watch)));
    return new ForwardingClientCall.SimpleForwardingClientCall<>(call.get()) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(
            listener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            Status cause = unmendable.get();
            boolean cancelledHere = cause != null && status.getCode() == Status.Code.CANCELLED;
            super.onClose(cancelledHere ? cause : status, trailers);
          }
        }, headers);
      }
    };
  }

  static boolean isUnmendable(Status status) {
    if (status.getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    if (status.getDescription() != null
        && status.getDescription().startsWith(ControllerTargets.UNRESOLVED)) {
      return true;
    }
    for (Throwable t = status.getCause(); t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return true;
      }
    }
    return false;
  }
}
