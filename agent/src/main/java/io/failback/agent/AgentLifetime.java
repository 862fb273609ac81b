package io.failback.agent;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How this process's agent ends: {@link #stop} from a signal's shutdown hook (SIGTERM, Ctrl+C)
 * or from the Windows service manager (procrun calls {@link AgentService#stop}), and in both
 * cases only after {@link AgentClient#close()} has wound the agent down.
 */
final class AgentLifetime {
  /** The one agent a process runs. */
  static final AgentLifetime PROCESS = new AgentLifetime();

  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Runs until {@link #stop} is called, then closes {@code agent}; blocks the caller. */
  void run(AgentClient agent) throws InterruptedException {
    try {
      stopRequested.await();
    } finally {
      agent.close();
      stopped.countDown();
    }
  }

  /**
   * Asks the running agent to stop and waits until it has, at most {@code wait}: a shutdown
   * hook that returned early would let the JVM halt in the middle of a flush.
   *
   * @return whether the agent finished stopping in time
   */
  boolean stop(Duration wait) {
    stopRequested.countDown();
    try {
      return stopped.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
