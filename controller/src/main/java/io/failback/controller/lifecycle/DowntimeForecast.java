package io.failback.controller.lifecycle;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Function;

/**
 * A job's downtime ahead of time: each VM's costs laid out the way {@link VmJob} runs its
 * stages. Source VMs stop group by group in reverse order, every transfer runs once all are
 * off, then target VMs start group by group with the plan's delays between; each stage runs at
 * most {@value VmJob#PARALLEL_VMS} VMs at a time, taking them in order. A VM is down from the
 * start of its stop to the end of its start. Manual actions are counted, not timed: only the
 * operator knows how long they take.
 */
final class DowntimeForecast {
  /**
   * One VM's costs, each as measured on earlier work (or a default, named in {@code defaults}).
   *
   * @param transfer phase 2: {@code fixedCost} plus {@code pendingBytes} at {@code sendRate}
   */
  record Costs(Duration stop, Duration transfer, Duration start, long pendingBytes,
      double sendRate, Duration fixedCost, List<String> defaults) {}

  /**
   * One VM's predicted downtime: total = stop + transfer + start + waiting.
   *
   * @param manualActions the manual actions before its start, not in {@code total}
   */
  record VmDowntime(Duration total, Costs costs, Duration waiting, int manualActions) {}

  /** The job's: each VM's, and from the first source VM off to the last target VM started. */
  record Result(Map<String, VmDowntime> vms, Duration job, int manualActions) {}

  private DowntimeForecast() {}

  /**
   * Lays out {@code costs} (the VMs still in the job) over {@code groups}.
   *
   * @param groups the groups as the job runs them, each with its delay and manual action
   */
  static Result of(List<Targets.Group> groups, Map<String, Costs> costs) {
    List<List<String>> vms = groups.stream().map(g -> g.vmIds().stream()
        .filter(costs::containsKey).toList()).toList();
    int last = vms.size() - 1;
    while (last >= 0 && vms.get(last).isEmpty()) {
      last--;
    }
    Map<String, Long> off = new HashMap<>();
    Map<String, Long> started = new HashMap<>();
    long at = 0;
    for (int g = last; g >= 0; g--) {
      at = stage(vms.get(g), id -> costs.get(id).stop(), at, off, null);
    }
    List<String> all = vms.stream().flatMap(List::stream).toList();
    at = stage(all, id -> costs.get(id).transfer(), at, null, null);
    int manualActions = 0;
    Map<String, Integer> manualBefore = new HashMap<>();
    for (int g = 0; g <= last; g++) {
      at = stage(vms.get(g), id -> costs.get(id).start(), at, null, started);
      for (String id : vms.get(g)) {
        manualBefore.put(id, manualActions);
      }
      if (g < last) {
        at += groups.get(g).delayAfter().toNanos();
        manualActions += groups.get(g).manualAction().isEmpty() ? 0 : 1;
      }
    }
    Map<String, VmDowntime> result = new LinkedHashMap<>();
    for (String id : all) {
      Costs c = costs.get(id);
      Duration total = Duration.ofNanos(started.get(id) - off.get(id));
      result.put(id, new VmDowntime(total, c,
          total.minus(c.stop()).minus(c.transfer()).minus(c.start()), manualBefore.get(id)));
    }
    return new Result(result, Duration.ofNanos(all.isEmpty() ? 0 : at), manualActions);
  }

  /**
   * One stage from {@code at}: each VM in order takes the slot that frees first, as the
   * job's semaphore hands them out. Records when each began and ended; returns when all ended.
   */
  private static long stage(List<String> ids, Function<String, Duration> cost, long at,
      Map<String, Long> began, Map<String, Long> ended) {
    PriorityQueue<Long> slots = new PriorityQueue<>();
    for (int i = 0; i < VmJob.PARALLEL_VMS; i++) {
      slots.add(at);
    }
    long end = at;
    for (String id : ids) {
      long begin = slots.poll();
      long done = begin + cost.apply(id).toNanos();
      slots.add(done);
      end = Math.max(end, done);
      if (began != null) {
        began.put(id, begin);
      }
      if (ended != null) {
        ended.put(id, done);
      }
    }
    return end;
  }
}
