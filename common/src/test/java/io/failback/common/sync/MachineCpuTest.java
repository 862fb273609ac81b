package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class MachineCpuTest {
  @Test
  void theKernelsCountersGiveTheBusyShareOfAllCores() {
    // user nice system idle iowait irq softirq steal guest guest_nice
    MachineCpu.Reading before = MachineCpu.parseProcStat(
        "cpu  1000 0 500 8000 300 0 100 100 50 0");
    MachineCpu.Reading after = MachineCpu.parseProcStat(
        "cpu  1600 0 700 8100 400 0 150 150 90 0");
    // Busy grew by 600 + 200 + 50 + 50 = 900, idle and iowait by 200: 900 / 1100.
    assertEquals(900.0 / 1100, MachineCpu.busy(before, after).getAsDouble(), 1e-9);
    assertEquals(OptionalDouble.empty(), MachineCpu.busy(after, after), "no time passed");
    assertEquals(OptionalDouble.empty(), MachineCpu.busy(before,
        new MachineCpu.Reading(5, 10, false)), "readings of two sources do not compare");
    assertThrows(IllegalArgumentException.class, () -> MachineCpu.parseProcStat("cpu0 1 2 3 4"));
  }

  @Test
  void aBusyThreadShowsOnTheRealCounters() throws Exception {
    MachineCpu.Reading before = MachineCpu.read();
    long until = System.nanoTime() + 300_000_000L;
    long spin = 0;
    while (System.nanoTime() < until) {
      spin++;
    }
    double busy = MachineCpu.busy(before, MachineCpu.read()).orElseThrow();
    // One of this machine's cores spun all the time: at least a share of it shows.
    int cores = Runtime.getRuntime().availableProcessors();
    assertTrue(busy >= 0.5 / cores && busy <= 1.0, busy + " after " + spin + " spins");
  }
}
