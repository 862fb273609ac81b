package io.failback.controller.lifecycle;

import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the on-prem VMs that a cancelled failover to the cloud may have left off: its stop was
 * sent, the host did not answer, and the stop may land whenever the link moves again
 * ({@code ProtectedItem.on_prem_start_due}). Commands reach an agent in order and it runs them
 * in order, so a start sent once the host answers comes after that stop.
 *
 * <p>Runs under the lock jobs are launched under: a failover launched meanwhile would send its
 * own stop, which must not be overtaken by this start.
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
          synchronized (launching) {
            start(context.items().get(listed.getVmId()));
          }
        }
      }
    } catch (NotFoundException | io.failback.controller.store.StoreException e) {
      log.warn("due on-prem starts skipped: " + e.getMessage());
    }
  }

  private void start(ProtectedItem item) {
    String host = item.getOnPremHost();
    if (!item.getOnPremStartDue() || item.getState() != ProtectionState.PROTECTED
        || !item.getActiveJobId().isEmpty() || !context.hosts().isOnline(host)) {
      return;
    }
    String failed = FlowSupport.onAnsweringHost(context, host, "starting the on-prem VM of "
        + item.getVmName(), () -> context.hosts().startVm(host, FlowSupport.onPremVmId(item),
            item.getGeneration()));
    if (failed == null) {
      FlowSupport.quietly("clearing the due start of " + item.getVmName(),
          () -> context.items().clearOnPremStartDue(item.getVmId()));
      log.info(item.getVmName() + ": the on-prem VM runs again after its cancelled failover");
    }
  }
}
