package io.failback.controller;

import io.failback.common.procrun.ServiceDefinition;
import io.failback.common.procrun.ServiceLifetime;
import java.time.Duration;
import java.util.List;

/**
 * The entry points of the Windows service, for procrun's {@code jvm} mode ({@code
 * --StartClass/--StartMethod=start}, {@code --StopClass/--StopMethod=stop}): {@link #start}
 * runs {@code failback-controller} with the service's parameters (normally {@code --config
 * FILE}) and blocks until {@link #stop} is called on another thread.
 */
public final class ControllerService {
  /**
   * The controller's Windows service. It runs as LocalService: it faces the network and needs
   * no more than its own files, as the systemd unit's own user does on Linux. Its heap is the
   * JVM's default: the controller has its machine to itself and serves every agent.
   */
  static final ServiceDefinition DEFINITION = new ServiceDefinition("controller",
      "Failback controller: serves Failback agents and operators on one mutually authenticated"
          + " TLS port and runs protection, failover and failback.",
      ControllerService.class, List.of(), List.of(), Duration.ofSeconds(60),
      "NT Authority\\LocalService", "it needs to read the configuration, certificate, key and"
          + " CA files and to change the state and log folders", 0);
  /** The one controller a process runs: stopped by SIGTERM or by {@link #stop}. */
  static final ServiceLifetime LIFETIME = new ServiceLifetime(DEFINITION);

  private ControllerService() {}

  /** procrun's start method: returns when the controller has stopped, or could not start. */
  public static void start(String[] args) {
    LIFETIME.startService(ControllerMain.commandLine(), args, "FAILBACK_CONTROLLER_CONFIG");
  }

  /** procrun's stop method: stops the controller gracefully and returns once it has. */
  public static void stop(String[] args) {
    LIFETIME.stopService();
  }
}
