package io.failback.controller.cli;

import io.failback.common.grpc.AttemptTracing;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tells the operator, once per run, that no controller answered yet and the CLI keeps trying:
 * during a takeover that lasts until the lease lapses, and silence would look like a hang.
 */
final class SayingWhileWaiting {
  /** A standby's pointer costs one retry; the third means nobody active answered. */
  private static final int QUIET_ATTEMPTS = 3;

  private final PrintWriter err;
  private final String controllers;
  private final AtomicBoolean said = new AtomicBoolean();

  SayingWhileWaiting(PrintWriter err, String controllers) {
    this.err = err;
    this.controllers = controllers;
  }

  /** The interceptor that says it, once, on the first attempt past the quiet ones. */
  ClientInterceptor interceptor() {
    return AttemptTracing.interceptor(info -> {
      if (info.getPreviousAttempts() >= QUIET_ATTEMPTS && said.compareAndSet(false, true)) {
        err.println("no active controller among " + controllers + " answered yet (a"
            + " takeover waits for the lease to lapse); trying until the call's deadline");
        err.flush();
      }
      return new ClientStreamTracer() {};
    });
  }
}
