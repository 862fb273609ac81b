package io.failback.controller;

import io.failback.certs.CertificateAuthority;
import io.failback.common.metrics.MetricsEndpoint;
import io.failback.common.service.ServiceNotify;
import io.failback.controller.grpc.StandbyServer;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.metrics.ControllerMetrics;
import io.failback.controller.plans.RecoveryPlans;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.LeaseRecords;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.Job;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The steps of a controller's start that need the store and nothing served yet. */
final class ControllerStartup {
  private static final Logger log = LoggerFactory.getLogger(ControllerServer.class);

  private ControllerStartup() {}

  /**
   * Takes a PostgreSQL store's lease, waiting as a standby while another controller is active
   * ({@code standby} answering on the API port meanwhile, closed before this returns); closes
   * the store if it cannot. A SQLite store has no lease (one controller by design).
   */
  static ControllerLease takeLease(ControllerConfig config, ControllerStore store,
      Optional<StandbyServer> standby, ControllerRole role) throws IOException, StoreException {
    if (!(store.location() instanceof io.failback.controller.store.StoreLocation.Postgres)) {
      role.took(0);
      return ControllerLease.none();
    }
    String address = config.lease().advertiseAddress();
    if (address.isEmpty()) {
      address = java.net.InetAddress.getLocalHost().getHostName() + ":" + config.port();
    }
    try {
      String[] following = {""};
      LeaseRecords.Claim claim = new LeaseRecords.Claim(address,
          config.cloud().identity(config.stateDir()), StateDirId.load(config.stateDir()),
          StateDirId.describe(config.stateDir()));
      ControllerLease lease = ControllerLease.take(store, claim, config.lease().ttl(),
          (active, term) -> {
            role.standby(active, term);
            standby.ifPresent(server -> server.following(active, term));
            if (!active.equals(following[0])) {
              // A standby is a healthy state: systemd must not time its start out.
              following[0] = active;
              ServiceNotify.ready("standby; the active controller is " + active);
            }
          });
      role.took(lease.term());
      return lease;
    } catch (StoreException | IOException | RuntimeException e) {
      store.close();
      throw e;
    } catch (InterruptedException e) {
      store.close();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the controller lease", e);
    } finally {
      standby.ifPresent(StandbyServer::close);
    }
  }

  /**
   * The probes and metrics port, when configured, from the start: a standby answers there too
   * ({@link ControllerRole}). Closes the store if it cannot bind.
   */
  static MetricsEndpoint probes(ControllerConfig config, ControllerMetrics metrics,
      ControllerRole role, ControllerStore store) throws IOException, StoreException {
    if (config.metricsAddress() == null) {
      return null;
    }
    MetricsEndpoint endpoint;
    try {
      endpoint = MetricsEndpoint.start(config.metricsAddress(), metrics.registry(), role);
    } catch (IOException e) {
      store.close();
      throw new IOException("cannot serve metrics on " + config.metricsAddress() + ": "
          + e.getMessage(), e);
    }
    log.info("metrics and probes on http://" + hostPort(endpoint.address())
        + "/metrics, /healthz, /readyz (plain HTTP)");
    return endpoint;
  }

  static String hostPort(InetSocketAddress address) {
    return address.getAddress().getHostAddress() + ":" + address.getPort();
  }

  /** The CA the controller signs with, when it was given one. */
  static Optional<CertificateAuthority> issuingCa(ControllerConfig config, Clock clock)
      throws IOException {
    if (!config.issuing().enabled()) {
      return Optional.empty();
    }
    return Optional.of(CertificateAuthority.load(config.issuing().caDir(), clock));
  }

  /**
   * Protected items older than VM ownership: their on-prem hosts own their VMs, so that no
   * other host can claim one first after an upgrade.
   */
  static void adoptOwners(ControllerStore store, Clock clock) throws StoreException {
    for (var item : store.protectedItemRecords().list()) {
      String vmId = item.getOnPremVmId().isEmpty() ? item.getVmId() : item.getOnPremVmId();
      if (!item.getOnPremHost().isEmpty()) {
        store.vmOwnerRecords().adopt(vmId, item.getOnPremHost(), clock.instant());
      }
    }
  }

  /** Continues the failbacks a previous process left running; fails the other jobs. */
  static void recoverJobs(Lifecycle lifecycle, RecoveryPlans plans,
      ControllerStore store) throws StoreException {
    List<Job> settled;
    try {
      settled = lifecycle.recover(plans);
    } catch (StoreException | RuntimeException e) {
      try {
        store.close();
      } catch (StoreException closeFailure) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
    for (Job job : settled) {
      log.warn("job " + job.getId() + " (" + job.getKind() + ") was unfinished when the"
          + " controller stopped; it is now " + job.getState());
    }
  }
}
