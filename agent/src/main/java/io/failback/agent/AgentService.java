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
  /** The agent's Windows service: after Hyper-V's vmms, nothing to drive before it runs. */
  static final ServiceDefinition DEFINITION = new ServiceDefinition("agent",
      "Failback agent: dials out to the Failback controller and drives this Hyper-V host for"
          + " failback and protection.",
      AgentService.class, List.of("run"), List.of("vmms"), Duration.ofSeconds(60),
      "LocalSystem", "it needs Hyper-V Administrators rights");
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
