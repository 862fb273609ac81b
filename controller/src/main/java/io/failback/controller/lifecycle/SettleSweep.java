package io.failback.controller.lifecycle;

import io.failback.proto.v1.ProtectedItem;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sweep at every heartbeat: due rollbacks ({@link FailbackRollback}) and on-prem starts
 * ({@link DueOnPremStarts}), then the watches of cloud and on-prem VMs ({@link CloudVmWatch},
 * {@link OnPremVmWatch}). What a host must answer runs in that host's round ({@link
 * HostRounds}): a compromised host that answers the probe but never the command held the sweep
 * for the command timeout (5 min) at every beat, and with it the rollbacks and starts of every
 * other host's VMs and the cloud VMs' watch. A host offline is not asked: its part (starting
 * a cloud VM meanwhile) runs here.
 */
final class SettleSweep {
  private final LifecycleContext context;
  private final Object launching;
  private final HostRounds rounds;

  SettleSweep(LifecycleContext context, Object launching) {
    this.context = context;
    this.launching = launching;
    this.rounds = new HostRounds(context, "due rollbacks and starts");
  }

  /** Settles every due item; waits for the hosts' rounds at most {@code atMost}. */
  void run(Duration atMost) {
    List<ProtectedItem> items = FlowSupport.listQuietly(context, "due rollbacks and starts");
    Map<String, Runnable> online = new LinkedHashMap<>();
    HostRounds.byHost(items).forEach((host, hostItems) -> {
      if (context.hosts().isOnline(host)) {
        online.put(host, () -> settleRound(hostItems));
      } else {
        settleRound(hostItems);
      }
    });
    rounds.run(online, atMost);
    new CloudVmWatch(context).check(items);
    new OnPremVmWatch(context).check(items); // the inventories the hosts sent: no waiting
  }

  private void settleRound(List<ProtectedItem> items) {
    new FailbackRollback(context).runDue(items);
    new DueOnPremStarts(context, launching).runDue(items);
  }
}
