package io.failback.controller.lifecycle;

import static io.failback.controller.lifecycle.FlowSupport.quietly;

import io.failback.controller.store.StoreException;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic delta cycles: one round per on-prem host, on a worker of its own, that cycles
 * the host's protected VMs in turn. A host whose cycles hang holds back only its own VMs' next
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
  /** Each host's round while it runs, by host name in lower case. */
  private final Map<String, Future<?>> running = new HashMap<>();

  CycleRounds(LifecycleContext context, Cycle cycle) {
    this.context = context;
    this.cycle = cycle;
  }

  /**
   * Starts a round on every host with protected VMs whose last round has ended, and waits for
   * the rounds it started to end, at most {@code atMost}: one that goes on runs by itself,
   * and the next call starts the other hosts' rounds again.
   */
  void run(Duration atMost) {
    Map<String, List<ProtectedItem>> byHost = new LinkedHashMap<>();
    try {
      for (ProtectedItem item : context.items().list()) {
        if (item.getState() == ProtectionState.PROTECTED) {
          byHost.computeIfAbsent(item.getOnPremHost().toLowerCase(Locale.ROOT),
              host -> new ArrayList<>()).add(item);
        }
      }
    } catch (StoreException e) {
      log.warn("delta cycles skipped: " + e.getMessage());
      return;
    }
    List<Future<?>> started = new ArrayList<>();
    synchronized (running) {
      running.values().removeIf(Future::isDone);
      for (Map.Entry<String, List<ProtectedItem>> host : byHost.entrySet()) {
        if (running.containsKey(host.getKey())) {
          log.info("delta cycles of host " + host.getKey() + " wait: its last round runs");
          continue;
        }
        try {
          Future<?> round = context.workers().submit(() -> cycleRound(host.getValue()));
          running.put(host.getKey(), round);
          started.add(round);
        } catch (RejectedExecutionException e) {
          return; // the lifecycle is closing
        }
      }
    }
    long deadline = System.nanoTime() + atMost.toNanos();
    try {
      for (Future<?> round : started) {
        round.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (TimeoutException e) {
      // That host's round goes on by itself.
    } catch (ExecutionException e) {
      log.warn("a round of delta cycles failed: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
