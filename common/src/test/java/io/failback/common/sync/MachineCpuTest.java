package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
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
    assertEquals(OptionalDouble.empty(), MachineCpu.busy(before, new MachineCpu.Reading(5, 10,
        MachineCpu.Source.THIS_PROCESS)), "readings of two sources do not compare");
    assertThrows(IllegalArgumentException.class, () -> MachineCpu.parseProcStat("cpu0 1 2 3 4"));
  }

  /**
   * Without /proc (a Windows Hyper-V host) the OS's load over all processes, whose later
   * reading covers the span (the first one started its sample); where the OS tells nothing,
   * this process's CPU time. Not run on Windows here: the sources are stand-ins.
   */
  @Test
  void withoutTheKernelsCountersTheOsLoadThenThisProcess() {
    double[] load = {0.2, 0.93};
    int[] call = {0};
    MachineCpu.Reading start = MachineCpu.read(Optional.empty(), () -> load[call[0]++],
        () -> 0);
    MachineCpu.Reading end = MachineCpu.read(Optional.empty(), () -> load[call[0]++], () -> 0);
    assertEquals(MachineCpu.Source.SYSTEM_LOAD, end.source());
    assertEquals(0.93, MachineCpu.busy(start, end).getAsDouble(), 1e-9);

    // getCpuLoad says -1 where it cannot tell: this process's CPU time, which is all it has.
    MachineCpu.Reading own = MachineCpu.read(Optional.empty(), () -> -1, () -> 5_000_000L);
    assertEquals(MachineCpu.Source.THIS_PROCESS, own.source());
    assertEquals(OptionalDouble.empty(), MachineCpu.busy(start, own));
    // A /proc/stat line it cannot parse falls back the same way.
    assertEquals(MachineCpu.Source.SYSTEM_LOAD, MachineCpu.read(Optional.of("garbage"),
        () -> 0.5, () -> 0).source());
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
