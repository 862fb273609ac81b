package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The job's downtime laid out the way VmJob runs its stages. */
class DowntimeForecastTest {
  private static DowntimeForecast.Costs costs(long stopMs, long transferMs, long startMs) {
    return new DowntimeForecast.Costs(Duration.ofMillis(stopMs), Duration.ofMillis(transferMs),
        Duration.ofMillis(startMs), 0, 1, Duration.ZERO, List.of());
  }

  @Test
  void aThreeGroupPlanWithADelayAndAManualAction() {
    List<Targets.Group> plan = List.of(
        new Targets.Group(List.of("db"), Duration.ZERO, "check the database"),
        new Targets.Group(List.of("app"), Duration.ofSeconds(5), ""),
        new Targets.Group(List.of("web"), Duration.ofSeconds(60), "never waited on"));
    Map<String, DowntimeForecast.Costs> costs = new LinkedHashMap<>();
    costs.put("db", costs(300, 2_000, 400));
    costs.put("app", costs(200, 500, 100));
    costs.put("web", costs(100, 1_000, 200));

    DowntimeForecast.Result result = DowntimeForecast.of(plan, costs);

    // Stops: web 0-100, app 100-300, db 300-600; transfers 600-2,600; starts: db 2,600-3,000,
    // app 3,000-3,100, its delay 5,000, web 8,100-8,300. The last group's delay and manual
    // action are never waited on.
    assertEquals(Duration.ofMillis(3_000 - 300), result.vms().get("db").total());
    assertEquals(Duration.ofMillis(3_100 - 100), result.vms().get("app").total());
    assertEquals(Duration.ofMillis(8_300), result.vms().get("web").total());
    assertEquals(Duration.ofMillis(8_300 - 100 - 1_000 - 200),
        result.vms().get("web").waiting());
    assertEquals(Duration.ofMillis(2_700 - 300 - 2_000 - 400),
        result.vms().get("db").waiting());
    assertEquals(Duration.ofMillis(8_300), result.job());
    assertEquals(1, result.manualActions());
    assertEquals(0, result.vms().get("db").manualActions());
    assertEquals(1, result.vms().get("app").manualActions());
    assertEquals(1, result.vms().get("web").manualActions());
  }

  @Test
  void atMostFourVmsAtATimeInTheirOrder() {
    Map<String, DowntimeForecast.Costs> costs = new LinkedHashMap<>();
    for (String vm : List.of("a", "b", "c", "d", "e")) {
      costs.put(vm, costs(0, vm.equals("b") ? 100 : 1_000, 0));
    }
    DowntimeForecast.Result result = DowntimeForecast.of(List.of(new Targets.Group(
        List.copyOf(costs.keySet()), Duration.ZERO, "")), costs);
    // e waits for b's slot (free at 100 ms): the transfer stage ends at 1,100 ms.
    assertEquals(Duration.ofMillis(1_100), result.job());
    assertEquals(Duration.ofMillis(1_100), result.vms().get("a").total());
    assertEquals(Duration.ofMillis(100), result.vms().get("e").waiting());
    assertEquals(0, result.manualActions());
  }
}
