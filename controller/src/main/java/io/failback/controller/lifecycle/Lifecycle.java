package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.util.List;
import java.util.logging.Logger;

/**
 * The operator's lifecycle actions: each checks the item's state, starts a job and returns it
 * at once; the work runs in the background and reports through the job.
 */
public final class Lifecycle {
  private static final Logger log = Logger.getLogger(Lifecycle.class.getName());

  private final LifecycleContext context;
  private final ProtectionFlow protection;
  private final FailbackFlow failback;
  private final FailbackCommit failbackCommit;

  Lifecycle(LifecycleContext context) {
    this.context = context;
    this.protection = new ProtectionFlow(context);
    this.failback = new FailbackFlow(context);
    this.failbackCommit = new FailbackCommit(context);
  }

  /** Builds the lifecycle from its parts. */
  public static Lifecycle create(ProtectedItems items, Jobs jobs,
      io.failback.controller.cloud.Cloud cloud, OnPremHosts hosts,
      io.failback.controller.sync.DiskSyncs syncs, java.time.Clock clock,
      java.nio.file.Path seedDir, long sessionSecret) {
    java.util.concurrent.ScheduledExecutorService ticker =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(daemon("job-progress"));
    java.util.concurrent.ExecutorService workers =
        java.util.concurrent.Executors.newCachedThreadPool(daemon("lifecycle"));
    DiskTransfer transfer = new DiskTransfer(syncs, jobs, ticker);
    return new Lifecycle(new LifecycleContext(items, jobs, cloud, hosts, transfer, workers,
        clock, seedDir, sessionSecret));
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread thread = new Thread(r, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  public List<ProtectedItem> items() throws StoreException {
    return context.items().list();
  }

  public ProtectedItem item(String vmId) throws NotFoundException, StoreException {
    return context.items().get(vmId);
  }

  /** EnableProtection: initial replication of an on-prem VM into a new cloud VM. */
  public Job enableProtection(String vmId)
      throws LifecycleException, NotFoundException, IllegalTransitionException, StoreException {
    return protection.enable(vmId);
  }

  /**
   * PlannedFailover: towards the cloud for a protected VM, or back on-prem (the failback) for
   * a failed-over one.
   */
  public Job plannedFailover(String vmId, DataSync dataSync)
      throws LifecycleException, NotFoundException, IllegalTransitionException, StoreException {
    ProtectedItem item = context.items().requireAction(vmId, OperatorAction.PLANNED_FAILOVER);
    if (item.getState() == ProtectionState.PROTECTED) {
      return protection.plannedFailover(item);
    }
    return failback.start(item, dataSync == DataSync.DATA_SYNC_UNSPECIFIED
        ? DataSync.SYNC_BEFORE_FAILOVER : dataSync);
  }

  /** UnplannedFailover: start the cloud VM from the last replica. */
  public Job unplannedFailover(String vmId)
      throws NotFoundException, IllegalTransitionException, StoreException {
    ProtectedItem item = context.items().requireAction(vmId, OperatorAction.UNPLANNED_FAILOVER);
    return protection.unplannedFailover(item);
  }

  /** CompleteFailover: phase 2 of a failback waiting after phase 1. */
  public Job completeFailover(String jobId)
      throws NotFoundException, IllegalTransitionException, StoreException {
    return failback.complete(jobId);
  }

  /** Commit: makes a failover or a failback final. */
  public Job commit(String vmId)
      throws NotFoundException, IllegalTransitionException, StoreException {
    ProtectedItem item = context.items().requireAction(vmId, OperatorAction.COMMIT);
    return item.getState() == ProtectionState.FAILED_OVER_COMMIT_PENDING
        ? protection.commitFailover(item) : failbackCommit.commit(vmId);
  }

  /** ReverseReplicate: protect a failed-back VM again, sending only what changed on-prem. */
  public Job reverseReplicate(String vmId)
      throws LifecycleException, NotFoundException, IllegalTransitionException, StoreException {
    ProtectedItem item = context.items().requireAction(vmId, OperatorAction.REVERSE_REPLICATE);
    return protection.reverseReplicate(item);
  }

  /** One delta cycle of a protected VM to its cloud replica; returns when it is done. */
  public void replicateNow(String vmId) throws LifecycleException, NotFoundException,
      StoreException, InterruptedException {
    protection.cycle(vmId);
  }

  /** Runs a delta cycle for every protected VM; failures are logged, the next cycle retries. */
  public void replicateAll() {
    try {
      for (ProtectedItem item : context.items().list()) {
        if (item.getState() == ProtectionState.PROTECTED) {
          try {
            protection.cycle(item.getVmId());
          } catch (LifecycleException | NotFoundException | StoreException e) {
            log.warning("delta cycle of " + item.getVmName() + ": " + e.getMessage());
          }
        }
      }
    } catch (StoreException e) {
      log.warning("delta cycles skipped: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * After a restart no job runs: items left in a transient state move to where an operator
   * can act again. A failback caught mid-way is INCONSISTENT, never quietly healthy.
   */
  public void recoverItems() throws StoreException {
    for (ProtectedItem item : context.items().list()) {
      String job = item.getActiveJobId();
      ProtectionState back = switch (item.getState()) {
        case INITIAL_REPLICATION -> ProtectionState.UNPROTECTED;
        case FAILING_OVER -> ProtectionState.PROTECTED;
        case REVERSE_REPLICATING -> ProtectionState.FAILED_BACK;
        case FAILING_BACK, FAILBACK_SYNCED, FAILBACK_COMPLETING ->
            ProtectionState.FAILBACK_INCONSISTENT;
        default -> null;
      };
      if (back == null) {
        continue;
      }
      FlowSupport.quietly("recovering " + item.getVmName(), () -> context.items().transition(
          item.getVmId(), item.getState(), back, b -> {
            b.clearActiveJobId();
            if (back == ProtectionState.FAILBACK_INCONSISTENT) {
              b.setInconsistentReason("the controller restarted during failback job " + job
                  + "; the on-prem disks may mix old and new blocks. Re-run PlannedFailover");
            }
          }));
      log.warning(item.getVmName() + " was " + item.getState() + " when the controller"
          + " stopped; now " + back);
    }
  }

  /** Stops background work. */
  public void close() {
    context.workers().shutdownNow();
    log.fine("lifecycle stopped");
  }
}
