package io.failback.controller.lifecycle;

import io.failback.common.sync.SyncException;
import java.time.Duration;
import java.util.Optional;

/**
 * Decides whether a failed sync lost its agent, and waits for the agent to come back.
 *
 * <p>An agent that dies, restarts or loses its link ends its sessions, but what it acknowledged
 * is durable on its disk: the sync can go on from there once the agent is back, instead of the
 * job failing and the operator re-running everything.
 */
final class AgentReturn {
  /** No agent to wait for: a failed sync fails (tests that run without hosts). */
  static final AgentReturn NONE = new AgentReturn(null, null, Duration.ZERO);

  /** The registry may learn of the loss a moment after the data streams broke. */
  private static final Duration NOTICE = Duration.ofSeconds(3);
  private static final long POLL_MILLIS = 100;

  private final OnPremHosts hosts;
  private final Jobs jobs;
  private final Duration timeout;

  AgentReturn(OnPremHosts hosts, Jobs jobs, Duration timeout) {
    this.hosts = hosts;
    this.jobs = jobs;
    this.timeout = timeout;
  }

  Duration timeout() {
    return timeout;
  }

  /** The host's agent connection now, if any and if lost agents are waited for at all. */
  Optional<Object> connection(String host) {
    return hosts == null || timeout.isZero() ? Optional.empty() : hosts.agentConnection(host);
  }

  /**
   * Whether {@code cause} ended the sync because the agent that held {@code before} went away
   * (offline, or back through another connection), rather than a refusal, a data error or the
   * operator's cancel, which a resume would not cure.
   */
  boolean lost(String host, Object before, String jobId, Throwable cause)
      throws InterruptedException {
    if (jobs.cancelRequested(jobId) || cause instanceof SyncException sync
        && (sync.kind() == SyncException.Kind.DATA_LOSS
            || sync.kind() == SyncException.Kind.INVALID_ARGUMENT)) {
      return false;
    }
    long deadline = System.nanoTime() + NOTICE.toNanos();
    do {
      Optional<Object> now = hosts.agentConnection(host);
      if (now.isEmpty() || now.get() != before) {
        return true;
      }
      Thread.sleep(POLL_MILLIS);
    } while (System.nanoTime() < deadline);
    return false;
  }

  /**
   * Blocks until the host's agent holds a connection other than {@code before}.
   *
   * @throws LifecycleException when the operator cancels the job, or the agent is not back
   *     within the timeout
   */
  void await(String host, Object before, String jobId)
      throws LifecycleException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (jobs.cancelRequested(jobId)) {
        throw new LifecycleException("cancelled by the operator while waiting for the agent of"
            + " host " + host);
      }
      Optional<Object> now = hosts.agentConnection(host);
      if (now.isPresent() && now.get() != before) {
        return;
      }
      if (System.nanoTime() >= deadline) {
        throw new LifecycleException("the agent of host " + host + " did not come back within "
            + timeout.toSeconds() + " s (--agent-return-timeout)");
      }
      Thread.sleep(POLL_MILLIS);
    }
  }
}
