package io.failback.controller.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * CPU seconds the benchmark's processes used, from {@code /proc/PID/stat}: wall time on two
 * shared cores swings with the page cache's luck, the CPU a step costs much less.
 *
 * <p>{@code children} is what the controller's waited-for child processes used: the peers
 * (cp, rsync) a step ran.
 */
record CpuTimes(double controller, double agent, double children) {
  /** Clock ticks per second of {@code /proc/PID/stat} (USER_HZ, 100 on Linux x86-64). */
  private static final double TICKS = 100.0;

  static CpuTimes now(long agentPid) throws IOException {
    String[] self = fields(ProcessHandle.current().pid());
    String[] agent = fields(agentPid);
    return new CpuTimes(ticks(self, 13) + ticks(self, 14), ticks(agent, 13) + ticks(agent, 14),
        ticks(self, 15) + ticks(self, 16));
  }

  CpuTimes since(CpuTimes start) {
    return new CpuTimes(controller - start.controller, agent - start.agent,
        children - start.children);
  }

  String describe() {
    return String.format(Locale.ROOT, "CPU s: controller %.2f, agent %.2f, peer %.2f",
        controller, agent, children);
  }

  /** The fields after the command name (which may hold spaces), numbered as in proc(5) - 1. */
  private static String[] fields(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    String[] all = new String[rest.length + 2];
    System.arraycopy(rest, 0, all, 2, rest.length);
    return all;
  }

  private static double ticks(String[] fields, int index) {
    return Long.parseLong(fields[index]) / TICKS;
  }
}
