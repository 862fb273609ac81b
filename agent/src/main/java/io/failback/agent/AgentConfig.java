package io.failback.agent;

import io.failback.common.grpc.TransportLimits;
import io.failback.common.tls.TlsFiles;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything an agent needs to run.
 *
 * @param controller {@code host:port} of the controller; the host name must be in its certificate
 * @param hostDir the simulated host directory; null on a Hyper-V host (PowerShell driver)
 * @param stateDir the agent's own durable state (inconsistent VMs)
 * @param backoffInitial first reconnect delay after a drop
 * @param backoffMax longest reconnect delay
 * @param reloadPeriod how often the certificate, key and trust files are checked for changes
 * @param transport message and metadata limits and the keepalive interval of the channel
 * @param metricsAddress where the plain-HTTP metrics and probe port listens; null for none
 */
public record AgentConfig(String controller, TlsFiles tls, Path hostDir, Path stateDir,
    Duration backoffInitial, Duration backoffMax, Duration reloadPeriod,
    TransportLimits transport, InetSocketAddress metricsAddress) {

  /** Defaults; the agent's own state lives in {@code <host-dir>/.agent}. */
  public static AgentConfig withDefaults(String controller, TlsFiles tls, Path hostDir) {
    return withDefaults(controller, tls, hostDir, hostDir.resolve(".agent"));
  }

  /** Defaults with the state in {@code stateDir}; {@code hostDir} is null on a Hyper-V host. */
  public static AgentConfig withDefaults(String controller, TlsFiles tls, Path hostDir,
      Path stateDir) {
    return new AgentConfig(controller, tls, hostDir, stateDir,
        Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(30),
        TransportLimits.DEFAULTS, null);
  }

  public AgentConfig withBackoff(Duration initial, Duration max) {
    return new AgentConfig(controller, tls, hostDir, stateDir, initial, max, reloadPeriod,
        transport, metricsAddress);
  }

  /** Bounds of {@link #withReconnectMaxDelay}. */
  public static final Duration MIN_RECONNECT_MAX_DELAY = Duration.ofMillis(100);
  public static final Duration MAX_RECONNECT_MAX_DELAY = Duration.ofHours(1);

  /**
   * The same agent waiting at most {@code max} between attempts to reach a controller; the
   * first wait is shortened to it where longer.
   *
   * @throws IllegalArgumentException outside {@link #MIN_RECONNECT_MAX_DELAY} to {@link
   *     #MAX_RECONNECT_MAX_DELAY}, naming the option
   */
  public AgentConfig withReconnectMaxDelay(Duration max) {
    if (max.compareTo(MIN_RECONNECT_MAX_DELAY) < 0 || max.compareTo(MAX_RECONNECT_MAX_DELAY) > 0) {
      throw new IllegalArgumentException("--reconnect-max-delay must be from PT0.1S to PT1H, got "
          + max);
    }
    return withBackoff(backoffInitial.compareTo(max) > 0 ? max : backoffInitial, max);
  }

  /** The same agent with other transport limits (tests shorten the keepalive interval). */
  public AgentConfig withTransport(TransportLimits limits) {
    return new AgentConfig(controller, tls, hostDir, stateDir, backoffInitial, backoffMax,
        reloadPeriod, limits, metricsAddress);
  }

  public AgentConfig withReloadPeriod(Duration period) {
    return new AgentConfig(controller, tls, hostDir, stateDir, backoffInitial, backoffMax,
        period, transport, metricsAddress);
  }

  /** Where the encryption certificates and their private keys live: {@code <state>/encryption}. */
  public Path encryptionDir() {
    return stateDir.resolve("encryption");
  }

  public AgentConfig withStateDir(Path dir) {
    return new AgentConfig(controller, tls, hostDir, dir, backoffInitial, backoffMax,
        reloadPeriod, transport, metricsAddress);
  }

  /** The same agent serving metrics and probes on {@code address} (null: none). */
  public AgentConfig withMetricsAddress(InetSocketAddress address) {
    return new AgentConfig(controller, tls, hostDir, stateDir, backoffInitial, backoffMax,
        reloadPeriod, transport, address);
  }
}
