package io.failback.common.sync;

import java.io.BufferedReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * How busy this machine's CPUs were between two readings, all cores together (0 to 1): whether
 * lanes that waited for their link were held back by the link, or by CPUs with nothing to
 * spare for TLS, hashing, compression and, in young processes, the JIT. On a 2-core machine the
 * first upload of a fresh pair of processes ran with the CPUs 96–100 % busy and was taken for a
 * 1 Gbit/s link, so later uploads were compressed harder, which costs the CPU that was short.
 *
 * <p>Sources, best first: on Linux the kernel's counters of every process ({@code /proc/stat});
 * elsewhere (a Windows Hyper-V host, where the VMs' CPU counts as much as the agent's) the
 * machine's load as the JVM reports it ({@code OperatingSystemMXBean.getCpuLoad}: on Windows a
 * performance counter over all processes, sampled since its previous call; never run here);
 * failing both, this process's CPU time over the wall time of all its processors.
 */
public final class MachineCpu {
  private static final Path PROC_STAT = Path.of("/proc/stat");
  private static final long LOAD_SCALE = 1_000_000;

  /** Where a reading came from: only readings of one source compare. */
  public enum Source {
    /** Cumulative ticks of every process (Linux). */
    KERNEL_COUNTERS,
    /** The OS's load since its previous sample: the later reading alone says it. */
    SYSTEM_LOAD,
    /** This process's CPU nanoseconds against wall nanoseconds times its processors. */
    THIS_PROCESS
  }

  /** Busy and total time in one unit, or (SYSTEM_LOAD) a load of busy / total. */
  public record Reading(long busy, long total, Source source) {}

  private MachineCpu() {}

  /** The counters now. */
  public static Reading read() {
    var os = ManagementFactory.getPlatformMXBean(
        com.sun.management.OperatingSystemMXBean.class);
    return read(procStatLine(), os::getCpuLoad, os::getProcessCpuTime);
  }

  /** {@link #read()} from its sources: the cpu line of /proc/stat, the OS's load, ours. */
  static Reading read(Optional<String> procStat, DoubleSupplier systemLoad,
      LongSupplier processCpuNanos) {
    if (procStat.isPresent()) {
      try {
        return parseProcStat(procStat.get());
      } catch (RuntimeException e) {
        // Falls back as where there is no /proc.
      }
    }
    double load = systemLoad.getAsDouble();
    if (load >= 0 && load <= 1) {
      return new Reading(Math.round(load * LOAD_SCALE), LOAD_SCALE, Source.SYSTEM_LOAD);
    }
    return new Reading(Math.max(0, processCpuNanos.getAsLong()),
        System.nanoTime() * Runtime.getRuntime().availableProcessors(), Source.THIS_PROCESS);
  }

  /** How busy the CPUs were from {@code from} to {@code to}; empty when it cannot be told. */
  public static OptionalDouble busy(Reading from, Reading to) {
    if (from.source() != to.source()) {
      return OptionalDouble.empty();
    }
    if (to.source() == Source.SYSTEM_LOAD) {
      // The OS sampled since its previous call, which {@code from} was unless another reader
      // (a metrics scrape) came between: then the last part of the span.
      return OptionalDouble.of((double) to.busy() / to.total());
    }
    long total = to.total() - from.total();
    long busy = to.busy() - from.busy();
    if (total <= 0 || busy < 0) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(Math.min(1.0, (double) busy / total));
  }

  private static Optional<String> procStatLine() {
    if (!Files.isReadable(PROC_STAT)) {
      return Optional.empty();
    }
    // Only its first line: the rest (a line per core, interrupts) runs long on a big host.
    try (BufferedReader reader = Files.newBufferedReader(PROC_STAT, StandardCharsets.US_ASCII)) {
      return Optional.ofNullable(reader.readLine());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
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
    return new Reading(busy, busy + v[3] + v[4], Source.KERNEL_COUNTERS);
  }
}
