package io.failback.controller.metrics;

import io.failback.controller.lifecycle.CycleEnd;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.function.Consumer;

/**
 * Replication cycles as meters: how many ended and how, and how long they took. A cycle that
 * takes about its interval, or fails, is what an RPO alert follows; the counters say which.
 * Not by VM: a thousand protected VMs would make a thousand series each.
 */
final class CycleMeter implements Consumer<CycleEnd> {
  private final Counter succeeded;
  private final Counter failed;
  private final Timer succeededTook;
  private final Timer failedTook;

  CycleMeter(MeterRegistry registry) {
    succeeded = counter(registry, "succeeded");
    failed = counter(registry, "failed");
    succeededTook = timer(registry, "succeeded");
    failedTook = timer(registry, "failed");
  }

  @Override
  public void accept(CycleEnd end) {
    (end.succeeded() ? succeeded : failed).increment();
    (end.succeeded() ? succeededTook : failedTook).record(end.took());
  }

  private static Counter counter(MeterRegistry registry, String result) {
    return Counter.builder("failback.replication.cycles")
        .description("Replication cycles of protected VMs that ended, by result: succeeded"
            + " (the recovery point moved) or failed (the item's last cycle error says why)")
        .tag("result", result).register(registry);
  }

  private static Timer timer(MeterRegistry registry, String result) {
    return Timer.builder("failback.replication.cycle.duration")
        .description("How long each replication cycle of a protected VM took, by result")
        .publishPercentileHistogram().tag("result", result).register(registry);
  }
}
