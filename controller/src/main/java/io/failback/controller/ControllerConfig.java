package io.failback.controller;

import io.failback.common.grpc.TransportLimits;
import io.failback.common.tls.TlsFiles;
import io.failback.controller.bandwidth.ConfiguredLimit;
import io.failback.controller.store.StoreLocation;
import java.net.InetSocketAddress;
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
 * @param reloadPeriod how often the certificate, key, trust and CRL files are checked for changes
 * @param peerRecheckPeriod how often open streams re-validate their peer's certificate
 * @param replicationInterval how often protected VMs send a delta cycle to the cloud
 * @param simulation whether the SIMULATION-ONLY guest writer is served (demos, tests)
 * @param crl the CRL to enforce, which must then exist; null for {@code crl.pem} beside the
 *     trust bundle, enforced once it exists
 * @param transport stream, message and metadata limits and the keepalive pings permitted
 * @param issuing the CA the controller signs enrollments and renewals with, if any
 * @param cloud which cloud VMs fail over to
 * @param agentReturnTimeout how long a job waits for a lost agent to come back and resumes its
 *     syncs from their last acknowledged batch before it fails (and rolls back)
 * @param syncStallTimeout how long a job's syncs may move no byte, with their agent connected,
 *     before they are stopped and the job fails (a hung agent or disk, a stalled link)
 * @param metricsAddress where the plain-HTTP metrics and probe port listens; null for none
 * @param store where the state is kept; null for {@code controller.db} in {@code stateDir}
 * @param lease how controllers sharing the store pick the active one
 * @param bandwidth the configured global bandwidth limit and the zone of time windows
 */
public record ControllerConfig(String listenHost, int port, Path stateDir, TlsFiles tls,
    String trustDomain, Duration heartbeatInterval, Duration heartbeatTimeout,
    Duration reloadPeriod, Duration peerRecheckPeriod, Duration replicationInterval,
    boolean simulation, Path crl, TransportLimits transport, Issuing issuing,
    CloudChoice cloud, Duration agentReturnTimeout, Duration syncStallTimeout,
    InetSocketAddress metricsAddress, StoreLocation store, LeaseSettings lease,
    ConfiguredLimit bandwidth) {

  /**
   * Where the controller's issuing CA lives ({@code ca.pem}, {@code ca.key}) and how long the
   * certificates it issues are valid; {@link #NONE} when it issues none.
   */
  public record Issuing(Path caDir, Duration certLifetime) {
    public static final Issuing NONE = new Issuing(null, Duration.ofDays(7));

    public boolean enabled() {
      return caDir != null;
    }
  }

  /** Defaults for everything but the address, state and TLS files. */
  public static ControllerConfig withDefaults(String listenHost, int port, Path stateDir,
      TlsFiles tls) {
    return new ControllerConfig(listenHost, port, stateDir, tls, null, Duration.ofSeconds(10),
        Duration.ofSeconds(35), Duration.ofSeconds(30), Duration.ofSeconds(60),
        Duration.ofMinutes(5), false, null, TransportLimits.DEFAULTS, Issuing.NONE,
        CloudChoice.localDirectory(), Duration.ofMinutes(10), Duration.ofMinutes(5), null, null, LeaseSettings.DEFAULTS,
        ConfiguredLimit.DEFAULTS);
  }

  public ControllerConfig withHeartbeat(Duration interval, Duration timeout) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, interval, timeout,
        reloadPeriod, peerRecheckPeriod, replicationInterval, simulation, crl, transport,
        issuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, lease, bandwidth);
  }

  public ControllerConfig withPort(int newPort) {
    return new ControllerConfig(listenHost, newPort, stateDir, tls, trustDomain,
        heartbeatInterval, heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval,
        simulation, crl, transport, issuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, lease, bandwidth);
  }

  public ControllerConfig withReplicationInterval(Duration interval) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, interval, simulation, crl, transport,
        issuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, lease, bandwidth);
  }

  public ControllerConfig withSimulation(boolean on) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, on, crl,
        transport, issuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, lease, bandwidth);
  }

  public ControllerConfig withCrl(Path file) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation, file,
        transport, issuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, lease, bandwidth);
  }

  public ControllerConfig withPeriods(Duration reload, Duration peerRecheck) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reload, peerRecheck, replicationInterval, simulation, crl, transport,
        issuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, lease, bandwidth);
  }

  public ControllerConfig withTransport(TransportLimits limits) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        crl, limits, issuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, lease, bandwidth);
  }

  /** The same controller signing enrollments and renewals with the CA in {@code caDir}. */
  public ControllerConfig withIssuing(Issuing newIssuing) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        crl, transport, newIssuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, lease, bandwidth);
  }

  /** The same controller failing VMs over to {@code choice}. */
  public ControllerConfig withCloud(CloudChoice choice) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        crl, transport, issuing, choice, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, lease, bandwidth);
  }

  /** The same controller waiting up to {@code timeout} for a lost agent before a job fails. */
  public ControllerConfig withAgentReturnTimeout(Duration timeout) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        crl, transport, issuing, cloud, timeout, syncStallTimeout, metricsAddress,
        store, lease, bandwidth);
  }

  /** The same controller stopping a job's syncs after {@code timeout} without progress. */
  public ControllerConfig withSyncStallTimeout(Duration timeout) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        crl, transport, issuing, cloud, agentReturnTimeout, timeout, metricsAddress, store, lease, bandwidth);
  }

  /** The same controller serving metrics and probes on {@code address} (null: none). */
  public ControllerConfig withMetricsAddress(InetSocketAddress address) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        crl, transport, issuing, cloud, agentReturnTimeout, syncStallTimeout, address, store, lease, bandwidth);
  }

  /** The same controller keeping its state at {@code location}. */
  public ControllerConfig withStore(StoreLocation location) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        crl, transport, issuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        location, lease, bandwidth);
  }

  /** The same controller deciding with others sharing its store by {@code settings}. */
  public ControllerConfig withLease(LeaseSettings settings) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        crl, transport, issuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, settings, bandwidth);
  }

  /** The same controller with {@code limits} as its configured bandwidth limit. */
  public ControllerConfig withBandwidth(ConfiguredLimit limits) {
    return new ControllerConfig(listenHost, port, stateDir, tls, trustDomain, heartbeatInterval,
        heartbeatTimeout, reloadPeriod, peerRecheckPeriod, replicationInterval, simulation,
        crl, transport, issuing, cloud, agentReturnTimeout, syncStallTimeout, metricsAddress,
        store, lease, limits);
  }

  /** Where the state is kept: {@link #store} or else {@code controller.db} in the state dir. */
  public StoreLocation storeLocation() {
    return store != null ? store : new StoreLocation.SqliteFile(stateDir.resolve("controller.db"));
  }
}
