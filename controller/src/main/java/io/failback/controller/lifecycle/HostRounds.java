package io.failback.controller.lifecycle;

import io.failback.proto.v1.ProtectedItem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of a periodic sweep that waits for on-prem hosts, one round per host on a worker of
 * its own: a host that never answers (a compromised agent, a hung one) holds back only its own
 * round. The sweep waits for the rounds at most a bound, and starts no second round of a host
 * whose last one still runs. Thread-safe.
 */
final class HostRounds {
  private static final Logger log = LoggerFactory.getLogger(HostRounds.class);

  private final LifecycleContext context;
  /** What the rounds do, for the log. */
  private final String what;
  /** Each host's round while it runs, by host name in lower case. */
  private final Map<String, Future<?>> running = new HashMap<>();
  /** The hosts whose running round held back a new one: logged once per round, not per beat. */
  private final Set<String> heldBack = new HashSet<>();

  HostRounds(LifecycleContext context, String what) {
    this.context = context;
    this.what = what;
  }

  /** {@code items} by on-prem host in lower case (the rounds' key), each host's in order. */
  static Map<String, List<ProtectedItem>> byHost(List<ProtectedItem> items) {
    Map<String, List<ProtectedItem>> byHost = new LinkedHashMap<>();
    for (ProtectedItem item : items) {
      byHost.computeIfAbsent(item.getOnPremHost().toLowerCase(Locale.ROOT),
          host -> new ArrayList<>()).add(item);
    }
    return byHost;
  }

  /**
   * Starts the round of every host of {@code rounds} (by lower-case name) whose last one has
   * ended, and waits for those it started to end, at most {@code atMost}: one that goes on
   * runs by itself, and the next call starts the other hosts' rounds again.
   */
  void run(Map<String, Runnable> rounds, Duration atMost) {
    List<Future<?>> started = new ArrayList<>();
    synchronized (running) {
      running.values().removeIf(Future::isDone);
      heldBack.retainAll(running.keySet());
      for (Map.Entry<String, Runnable> host : rounds.entrySet()) {
        if (running.containsKey(host.getKey())) {
          if (heldBack.add(host.getKey())) {
            log.info(what + " of host " + host.getKey() + " wait: its last round still runs");
          }
          continue;
        }
        try {
          Future<?> round = context.workers().submit(host.getValue());
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
      log.warn("a round of " + what + " failed: " + e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
