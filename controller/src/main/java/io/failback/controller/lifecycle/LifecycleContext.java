package io.failback.controller.lifecycle;

import io.failback.controller.cloud.Cloud;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every lifecycle flow works with.
 *
 * @param seedDir where committed failbacks keep the cloud disks' final state for reverse
 *     replication
 * @param sessionSecret mixed into digest seeds so nobody can predict a session's seed
 * @param timings what earlier work measured, for downtime and duration predictions
 * @param ticker runs the periodic work of jobs (progress, live predictions)
 * @param syncs the sync sessions {@code transfer} runs, which keep the controller's digest sets
 */
record LifecycleContext(ProtectedItems items, Jobs jobs, Cloud cloud, OnPremHosts hosts,
    DiskTransfer transfer, ExecutorService workers, Clock clock, Path seedDir,
    long sessionSecret, ReplicaLocks replicaLocks, Timings timings,
    ScheduledExecutorService ticker, io.failback.controller.sync.DiskSyncs syncs) {

  /**
   * A digest seed, unpredictable from the outside, for the sessions named by {@code key} (an
   * item's digest sets, a delta cycle).
   */
  long seed(String key) {
    return sessionSecret ^ key.hashCode() * 0x9E3779B97F4A7C15L;
  }
}
