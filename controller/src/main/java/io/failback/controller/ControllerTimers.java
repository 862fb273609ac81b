package io.failback.controller;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.failback.controller.agents.AgentRegistry;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.metrics.ControllerMetrics;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The controller's periodic work, on threads chosen by how long a task may take.
 *
 * <p>The sweeps that settle due rollbacks and starts and that replicate protected VMs call the
 * cloud and the agents, and may take minutes (a delta cycle, a rollback, an agent's command
 * timeout) or hang (a libvirt call): each has a thread of its own, so that one stuck sweep
 * delays only its own kind of work. Renewing the lease has a thread of its own as well: late,
 * a standby takes over; watching for its lapse has another, which never waits for the store,
 * so that a renewal hung on the database cannot keep this controller serving. What remains
 * (heartbeat expiry, TLS reload, peer rechecks, metrics, RPO, bandwidth) holds no lock a job
 * holds and waits for neither the cloud nor an agent.
 * Fixed delays: no task ever runs twice at once.
 */
final class ControllerTimers {
  // Two: a slow store read (metrics, bandwidth) does not hold back heartbeat expiry.
  private final ScheduledExecutorService quick = Executors.newScheduledThreadPool(2,
      daemons("controller-timers"));
  private final ScheduledExecutorService lease = single("controller-lease");
  private final ScheduledExecutorService leaseWatch = single("controller-lease-watch");
  private final ScheduledExecutorService settling = single("controller-settle");
  private final ScheduledExecutorService replicating = single("controller-replicate");

  /** Where the lease's lapse is watched: nothing there calls the store, so nothing hangs. */
  ScheduledExecutorService leaseWatch() {
    return leaseWatch;
  }

  /** Where short tasks go: none may wait for the cloud, an agent or a job. */
  ScheduledExecutorService quick() {
    return quick;
  }

  /** Where the lease is renewed, and nothing else runs. */
  ScheduledExecutorService lease() {
    return lease;
  }

  /** Schedules the controller's periodic work, once it serves. */
  void schedule(ControllerConfig config, ControllerMetrics metrics, AgentRegistry registry,
      ControllerTls tls, Lifecycle lifecycle) {
    quick.scheduleWithFixedDelay(metrics::refresh, 5, 5, TimeUnit.SECONDS);
    quick.scheduleWithFixedDelay(lifecycle::checkRpo, 10, 10, TimeUnit.SECONDS);
    long sweep = Math.max(100, config.heartbeatInterval().toMillis() / 2);
    quick.scheduleWithFixedDelay(registry::expireStale, sweep, sweep, TimeUnit.MILLISECONDS);
    long reload = config.reloadPeriod().toMillis();
    quick.scheduleWithFixedDelay(tls::reloadIfChanged, reload, reload, TimeUnit.MILLISECONDS);
    long beat = config.heartbeatInterval().toMillis();
    settling.scheduleWithFixedDelay(() -> lifecycle.settleDue(config.heartbeatInterval()),
        beat, beat, TimeUnit.MILLISECONDS);
    long cycle = config.replicationInterval().toMillis();
    // Each host's cycles on a worker of their own: a host whose cycles hang holds back its own
    // VMs' next ones, while the others' go on at the interval.
    replicating.scheduleWithFixedDelay(() -> lifecycle.replicateAll(
        config.replicationInterval()), cycle, cycle, TimeUnit.MILLISECONDS);
  }

  /** Stops every timer and interrupts what runs. */
  void shutdownNow() {
    List.of(quick, lease, leaseWatch, settling, replicating)
        .forEach(ScheduledExecutorService::shutdownNow);
  }

  private static ScheduledExecutorService single(String name) {
    return Executors.newSingleThreadScheduledExecutor(daemons(name));
  }

  private static java.util.concurrent.ThreadFactory daemons(String name) {
    return new ThreadFactoryBuilder().setNameFormat(name).setDaemon(true).build();
  }
}
