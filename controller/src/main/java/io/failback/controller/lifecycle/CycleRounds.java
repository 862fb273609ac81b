package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic delta cycles: one round per on-prem host ({@link HostRounds}) that cycles the
 * host's protected VMs in turn. A host whose cycles hang holds back only its own VMs' next
 * round: a compromised agent that keeps its sessions just short of the stall timeout (a batch
 * now and then), or a host whose disk no longer answers. Before, every VM's cycle ran in turn
 * on the one replication thread, and such a host stopped the cycles of every other host's
 * VMs, whose recovery points then aged without end.
 */
final class CycleRounds {
  private static final Logger log = LoggerFactory.getLogger(CycleRounds.class);

  /** One VM's delta cycle. */
  interface Cycle {
    void run(String vmId) throws LifecycleException, NotFoundException, StoreException,
        InterruptedException;
  }

  private final LifecycleContext context;
  private final Cycle cycle;
  private final HostRounds rounds;

  CycleRounds(LifecycleContext context, Cycle cycle) {
    this.context = context;
    this.cycle = cycle;
    this.rounds = new HostRounds(context, "delta cycles");
  }

  /** A round on every host with protected VMs, waiting for them at most {@code atMost}. */
  void run(Duration atMost) {
    List<ProtectedItem> protectedItems;
    try {
      protectedItems = context.items().list().stream()
          .filter(item -> item.getState() == ProtectionState.PROTECTED).toList();
    } catch (StoreException e) {
      log.warn("delta cycles skipped: " + e.getMessage());
      return;
    }
    Map<String, Runnable> work = new LinkedHashMap<>();
    HostRounds.byHost(protectedItems).forEach((host, items) ->
        work.put(host, () -> cycleRound(items)));
    rounds.run(work, atMost);
  }

  /** One host's VMs, each cycled in turn; failures are logged and kept on the item. */
  private void cycleRound(List<ProtectedItem> items) {
    for (ProtectedItem item : items) {
      try {
        cycle.run(item.getVmId());
      } catch (LifecycleException | NotFoundException | StoreException e) {
        log.warn("delta cycle of " + item.getVmName() + ": " + e.getMessage());
        quietly("recording the failed cycle of " + item.getVmName(),
            () -> context.items().recordCycleError(item.getVmId(), e.getMessage()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
