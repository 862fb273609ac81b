package io.failback.common.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A server call that closes itself with {@code UNAUTHENTICATED} once its peer stops being valid.
 *
 * <p>Writes are serialized on this object so the checker thread can close the call while the
 * service is sending; anything the service sends after that is dropped. The service learns of
 * the forced close as a cancellation, so it cleans up as for a dropped client.
 */
final class RecheckedCall<ReqT, RespT>
    extends ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
  private final Supplier<String> problem;
  private boolean closed;
  private volatile boolean forced;
  private ScheduledFuture<?> task;

  RecheckedCall(ServerCall<ReqT, RespT> delegate, Supplier<String> problem) {
    super(delegate);
    this.problem = problem;
  }

  synchronized void start(ScheduledExecutorService scheduler, Duration period) {
    task = scheduler.scheduleAtFixedRate(this::check, period.toMillis(), period.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  void check() {
    String reason = problem.get();
    if (reason != null) {
      synchronized (this) {
        if (closed) {
          return;
        }
        forced = true;
      }
      close(Status.UNAUTHENTICATED.withDescription(
          "peer no longer valid: " + reason + "; reconnect with a renewed certificate"),
          new Metadata());
    }
  }

  ServerCall.Listener<ReqT> wrap(ServerCall.Listener<ReqT> listener) {
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        stop();
        if (forced) {
          super.onCancel();
        } else {
          super.onComplete();
        }
      }

      @Override
      public void onCancel() {
        stop();
        super.onCancel();
      }
    };
  }

  private synchronized void stop() {
    if (task != null) {
      task.cancel(false);
    }
  }

  @Override
  public synchronized void sendHeaders(Metadata headers) {
    if (!closed) {
      super.sendHeaders(headers);
    }
  }

  @Override
  public synchronized void sendMessage(RespT message) {
    if (!closed) {
      super.sendMessage(message);
    }
  }

  @Override
  public synchronized void close(Status status, Metadata trailers) {
    if (!closed) {
      closed = true;
      stop();
      super.close(status, trailers);
    }
  }
}
