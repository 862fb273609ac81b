package io.failback.common.cli;

import io.failback.common.metrics.MetricsEndpoint;
import java.net.InetSocketAddress;
import picocli.CommandLine.Option;

/** {@code --metrics-address} of a long-running process (controller, agent). */
public final class MetricsOptions {
  @Option(names = "--metrics-address", paramLabel = "[HOST:]PORT",
      description = "Serve Prometheus metrics (/metrics) and probes (/healthz, /readyz) over"
          + " plain HTTP here; a bare port binds loopback. Default: not served.")
  String address;

  /**
   * Where to serve metrics, or null when not asked for.
   *
   * @throws IllegalArgumentException naming what is wrong with the address
   */
  public InetSocketAddress address() {
    return address == null ? null : MetricsEndpoint.parseAddress(address);
  }
}
