package io.failback.controller.grpc;

import io.failback.controller.lifecycle.JobTransitions;
import io.failback.controller.lifecycle.JobWatch;
import io.failback.proto.v1.Job;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.function.UnaryOperator;

/**
 * One {@code WatchJob} response stream: writes the newest version of the job whenever the
 * stream is ready, and completes after the terminal version.
 *
 * <p>Flow control: a version is written only while {@code isReady()}; meanwhile the watch keeps
 * only the newest, so a slow client skips versions instead of growing the server's memory.
 * Threading: {@link #drain} runs on the thread that changed the job (via the watch's listener)
 * and on the call's thread (on ready); the monitor makes this the stream's only writer, and
 * nothing in it blocks.
 */
final class JobWatchStream {
  private final ServerCallStreamObserver<Job> call;
  private final UnaryOperator<Job> live;
  private JobWatch watch; // guarded by this
  private boolean done; // guarded by this

  /** @param live adds what is only known while the job runs (its bandwidth) */
  JobWatchStream(ServerCallStreamObserver<Job> call, UnaryOperator<Job> live) {
    this.call = call;
    this.live = live;
    // Both handlers must be set before the service method returns.
    call.setOnCancelHandler(this::cancelled);
    call.setOnReadyHandler(this::drain);
  }

  /** Starts writing from {@code watch}, which the stream closes when it ends. */
  synchronized void attach(JobWatch watch) {
    if (done) {
      watch.close();
      return;
    }
    this.watch = watch;
    drain();
  }

  /** Ends the stream before it started, e.g. for an unknown job. */
  synchronized void fail(Throwable status) {
    if (!done) {
      done = true;
      call.onError(status);
    }
  }

  /** Writes what is pending while the transport can take it. */
  synchronized void drain() {
    if (done || watch == null) {
      return;
    }
    while (call.isReady()) {
      Job job = watch.poll();
      if (job == null) {
        if (watch.isEnded()) {
          finish();
          call.onError(Status.UNAVAILABLE.withDescription(
              "the controller is shutting down; watch the job again once it is back")
              .asException());
        }
        return;
      }
      call.onNext(live.apply(job));
      if (JobTransitions.isTerminal(job.getState())) {
        finish();
        call.onCompleted();
        return;
      }
    }
  }

  private synchronized void cancelled() {
    if (!done) {
      finish();
    }
  }

  private void finish() {
    done = true;
    if (watch != null) {
      watch.close();
    }
  }
}
