package io.failback.agent;

import io.failback.common.procrun.ServiceDefinition;
import io.failback.common.procrun.ServiceLifetime;
import java.time.Duration;
import java.util.List;

/**
 * The entry points of the Windows service, for procrun's {@code jvm} mode ({@code
 * --StartClass/--StartMethod=start}, {@code --StopClass/--StopMethod=stop}): {@link #start}
 * runs {@code failback-agent} with the service's parameters (normally {@code run --config
 * FILE}) and blocks until {@link #stop} is called on another thread.
 */
public final class AgentService {
  /**
   * The agent's largest heap, here and in its launchers ({@code -Xmx512m}). Why: the JVM's
   * default is a quarter of the host's memory, with an initial heap of 1/64 (8 GiB on a 512 GiB
   * Hyper-V host) that G1 fills before it collects, memory the host's VMs then lack. The agent
   * keeps about 30 MB live (bench/soak-kvm); the benchmarks run it at 256 MiB, a 4 Gbit/s
   * download over 120 ms with its 128 MiB window included.
   */
  static final int MAX_HEAP_MIB = 512;

  /** The agent's Windows service: after Hyper-V's vmms, nothing to drive before it runs. */
  static final ServiceDefinition DEFINITION = new ServiceDefinition("agent",
      "Failback agent: dials out to the Failback controller and drives this Hyper-V host for"
          + " failback and protection.",
      AgentService.class, List.of("run"), List.of("vmms"), Duration.ofSeconds(60),
      "LocalSystem", "it needs Hyper-V Administrators rights", MAX_HEAP_MIB);
  /** The one agent a process runs: stopped by SIGTERM or by {@link #stop}. */
  static final ServiceLifetime LIFETIME = new ServiceLifetime(DEFINITION);

  private AgentService() {}

  /** procrun's start method: returns when the agent has stopped, or could not start. */
  public static void start(String[] args) {
    LIFETIME.startService(AgentMain.commandLine(), args, "FAILBACK_AGENT_CONFIG");
  }

  /** procrun's stop method: stops the agent gracefully and returns once it has. */
  public static void stop(String[] args) {
    LIFETIME.stopService();
  }
}
