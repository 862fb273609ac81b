package io.failback.agent;

import io.failback.common.cli.ConfigFiles;
import java.time.Duration;
import java.util.logging.Logger;
import picocli.CommandLine;

/**
 * The entry points of the Windows service, for procrun's {@code jvm} mode ({@code
 * --StartClass/--StartMethod=start}, {@code --StopClass/--StopMethod=stop}): {@link #start}
 * runs {@code failback-agent} with the service's parameters (normally {@code run --config
 * FILE}) and blocks until {@link #stop} is called on another thread.
 */
public final class AgentService {
  private static final Logger log = Logger.getLogger(AgentService.class.getName());
  /** Within procrun's --StopTimeout, which {@link ProcrunCommand} sets above it. */
  static final Duration STOP_WAIT = Duration.ofSeconds(60);

  private AgentService() {}

  /** procrun's start method: returns when the agent has stopped, or could not start. */
  public static void start(String[] args) {
    CommandLine command = AgentMain.commandLine();
    int exit = ConfigFiles.execute(command, args, "FAILBACK_AGENT_CONFIG", null);
    if (exit != 0) {
      // procrun records a start method that returns at once as a failed start.
      log.severe("the agent service ended with exit code " + exit);
    }
  }

  /** procrun's stop method: stops the agent gracefully and returns once it has. */
  public static void stop(String[] args) {
    if (!AgentLifetime.PROCESS.stop(STOP_WAIT)) {
      log.warning("the agent did not finish stopping within " + STOP_WAIT.toSeconds() + " s");
    }
  }
}
