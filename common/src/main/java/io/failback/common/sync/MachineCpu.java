package io.failback.common.sync;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;

/**
 * How busy this machine's CPUs were between two readings, all cores together (0 to 1): whether
 * lanes that waited for their link were held back by the link, or by CPUs with nothing to
 * spare for TLS, hashing, compression and, in young processes, the JIT. On a 2-core machine the
 * first upload of a fresh pair of processes ran with the CPUs 96–100 % busy and was taken for a
 * 1 Gbit/s link, so later uploads were compressed harder, which costs the CPU that was short.
 *
 * <p>On Linux the kernel's counters of every process ({@code /proc/stat}); elsewhere (a Windows
 * Hyper-V host) this process's CPU time over the wall time of all its processors, which misses
 * what other processes used.
 */
public final class MachineCpu {
  private static final Path PROC_STAT = Path.of("/proc/stat");

  /**
   * Cumulative busy and total time in one unit (the kernel's ticks, or nanoseconds); {@code
   * wholeMachine} says which source it came from, as two readings compare only alike.
   */
  public record Reading(long busy, long total, boolean wholeMachine) {}

  private MachineCpu() {}

  /** The counters now. */
  public static Reading read() {
    if (Files.isReadable(PROC_STAT)) {
      try {
        String first = Files.readAllLines(PROC_STAT, StandardCharsets.US_ASCII).get(0);
        return parseProcStat(first);
      } catch (IOException | RuntimeException e) {
        // Falls back to this process alone, as where there is no /proc.
      }
    }
    long processNanos = ManagementFactory.getPlatformMXBean(
        com.sun.management.OperatingSystemMXBean.class).getProcessCpuTime();
    return new Reading(Math.max(0, processNanos),
        System.nanoTime() * Runtime.getRuntime().availableProcessors(), false);
  }

  /** How busy the CPUs were from {@code from} to {@code to}; empty when it cannot be told. */
  public static OptionalDouble busy(Reading from, Reading to) {
    long total = to.total() - from.total();
    long busy = to.busy() - from.busy();
    if (from.wholeMachine() != to.wholeMachine() || total <= 0 || busy < 0) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(Math.min(1.0, (double) busy / total));
  }

  /**
   * The aggregate "cpu" line of /proc/stat: user, nice, system, idle, iowait, irq, softirq,
   * steal (guest time is inside user already). Waiting for I/O counts as idle: a CPU that waits
   * for a disk could do other work.
   */
  static Reading parseProcStat(String line) {
    String[] fields = line.trim().split("\\s+");
    if (!fields[0].equals("cpu") || fields.length < 5) {
      throw new IllegalArgumentException("not the cpu line of /proc/stat: " + line);
    }
    long[] v = new long[8];
    for (int i = 0; i < v.length && i + 1 < fields.length; i++) {
      v[i] = Long.parseLong(fields[i + 1]);
    }
    long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return new Reading(busy, busy + v[3] + v[4], true);
  }
}
