package io.failback.controller.lifecycle;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the on-prem VMs that a cancelled failover to the cloud may have left off: its stop was
 * sent, the host did not answer, and the stop may land whenever the link moves again
 * ({@code ProtectedItem.on_prem_start_due}). Commands reach an agent in order and it runs them
 * in order, so a start sent once the host answers comes after that stop.
 *
 * <p>The start is sent under the lock jobs are launched under: a failover launched meanwhile
 * would send its own stop, which must not be overtaken by this start. The host's answer is
 * awaited outside it: before, a host that answered the probe but never the start (a
 * compromised agent) held that lock for the command timeout at every sweep, and no job of any
 * VM of any host could start.
 */
final class DueOnPremStarts {
  private static final Logger log = LoggerFactory.getLogger(DueOnPremStarts.class);

  private final LifecycleContext context;
  private final Object launching;

  DueOnPremStarts(LifecycleContext context, Object launching) {
    this.context = context;
    this.launching = launching;
  }

  /** Starts every due VM of {@code items} whose host answers now; the others stay due. */
  void runDue(java.util.List<ProtectedItem> items) {
    try {
      for (ProtectedItem listed : items) {
        if (listed.getOnPremStartDue()) {
          start(listed);
        }
      }
    } catch (NotFoundException | StoreException e) {
      log.warn("due on-prem starts skipped: " + e.getMessage());
    }
  }

  private void start(ProtectedItem listed) throws NotFoundException, StoreException {
    String host = listed.getOnPremHost();
    String what = "starting the on-prem VM of " + listed.getVmName();
    if (!context.hosts().isOnline(host)) {
      return;
    }
    // Probed before the lock: a slow host's probe holds back no launch either.
    if (!context.hosts().answers(host, FailbackRollback.JOB_PROBE)) {
      log.warn(what + ": host " + host + " does not answer within "
          + FailbackRollback.JOB_PROBE.toSeconds() + " s");
      return;
    }
    OnPremHosts.Sent sent;
    List<String> jobsBefore;
    synchronized (launching) {
      ProtectedItem item = context.items().get(listed.getVmId());
      if (!due(item, host)) {
        return;
      }
      jobsBefore = jobsOf(item);
      try {
        sent = context.hosts().sendStartVm(host, FlowSupport.onPremVmId(item),
            item.getGeneration());
      } catch (LifecycleException e) {
        log.warn(what + ": " + e.getMessage());
        return;
      }
    }
    try {
      sent.await();
    } catch (LifecycleException e) {
      log.warn(what + ": " + e.getMessage());
      return;
    }
    synchronized (launching) {
      // A job launched on the VM meanwhile sent its commands after this start, and its end
      // decided what is due: this answer no longer says how the VM is.
      ProtectedItem item = context.items().get(listed.getVmId());
      if (due(item, host) && jobsOf(item).equals(jobsBefore)) {
        FlowSupport.quietly("clearing the due start of " + item.getVmName(),
            () -> context.items().clearOnPremStartDue(item.getVmId()));
        log.info(item.getVmName() + ": the on-prem VM runs again after its cancelled failover");
      }
    }
  }

  private static boolean due(ProtectedItem item, String host) {
    return item.getOnPremStartDue() && item.getState() == ProtectionState.PROTECTED
        && item.getActiveJobId().isEmpty() && item.getOnPremHost().equals(host);
  }

  private List<String> jobsOf(ProtectedItem item) throws StoreException {
    return context.jobs().list(item.getVmId()).stream().map(Job::getId).toList();
  }
}
