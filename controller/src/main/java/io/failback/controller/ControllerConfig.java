package io.failback.controller;

import io.failback.common.tls.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything a controller needs to start.
 *
 * @param listenHost address to bind, e.g. {@code 0.0.0.0}
 * @param port TCP port; 0 picks a free one
 * @param stateDir where {@code controller.db} lives
 * @param trustDomain SPIFFE trust domain of the PKI; null to take it from the CA certificate
 * @param heartbeatInterval how often agents heartbeat, told to them at registration
 * @param heartbeatTimeout silence after which a host is declared offline
 * @param reloadPeriod how often the certificate, key and trust files are checked for changes
 * @param peerRecheckPeriod how often open streams re-validate their peer's certificate
 * @param replicationInterval how often protected VMs send a delta cycle to the cloud
 * @param simulation whether the SIMULATION-ONLY guest writer is served (demos, tests)
 * @param cloud which cloud VMs fail over to
 */
public record ControllerConfig(String listenHost, int port, Path stateDir, TlsFiles tls,
    String trustDomain, Duration heartbeatInterval, Duration heartbeatTimeout,
    Duration reloadPeriod, Duration peerRecheckPeriod, Duration replicationInterval,
    boolean simulation, CloudChoice cloud) {

  /** A controller with the embedded local-directory cloud. */
  public ControllerConfig(String listenHost, int port, Path stateDir, TlsFiles tls,
      String trustDomain, Duration heartbeatInterval, Duration heartbeatTimeout,
      Duration reloadPeriod, Duration peerRecheckPeriod, Duration replicationInterval,
      boolean simulation) {
    this(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval, heartbeatTimeout,
        reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        CloudChoice.localDirectory());
  }

  /** Defaults for everything but the address, state and TLS files. */
  public static ControllerConfig withDefaults(String listenHost, int port, Path stateDir,
      TlsFiles tls) {
    return new ControllerConfig(listenHost, port, stateDir, tls, null, Duration.ofSeconds(10),
        Duration.ofSeconds(35), Duration.ofSeconds(30), Duration.ofSeconds(60),
        Duration.ofMinutes(5), false);
  }

  public ControllerConfig withHeartbeat(Duration interval, Duration timeout) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, interval, timeout,
        reloadPeriod, peerRecheckPeriod, replicationInterval, simulation, cloud);
  }

  public ControllerConfig withPort(int newPort) {
    return new ControllerConfig(listenHost, newPort, stateDir, tls, trustDomain,
        heartbeatInterval, heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval,
        simulation, cloud);
  }

  public ControllerConfig withReplicationInterval(Duration interval) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, interval, simulation, cloud);
  }

  public ControllerConfig withSimulation(boolean on) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, on, cloud);
  }

  public ControllerConfig withPeriods(Duration reload, Duration peerRecheck) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reload, peerRecheck, replicationInterval, simulation, cloud);
  }

  public ControllerConfig withCloud(CloudChoice choice) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        choice);
  }
}
