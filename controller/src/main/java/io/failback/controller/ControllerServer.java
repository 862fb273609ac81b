package io.failback.controller;

import io.failback.common.grpc.AuthorizationInterceptor;
import io.failback.common.grpc.BoundedDescriptions;
import io.failback.common.grpc.MalformedRequests;
import io.failback.common.grpc.TlsMaterial;
import io.failback.common.metrics.MetricsEndpoint;
import io.failback.common.sync.DigestSets;
import io.failback.common.tls.RevocationFile;
import io.failback.controller.agents.AgentHosts;
import io.failback.controller.agents.AgentRegistry;
import io.failback.controller.agents.HostAdmin;
import io.failback.controller.bandwidth.BandwidthControl;
import io.failback.controller.certificates.Enrollment;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.GuestSimulation;
import io.failback.controller.grpc.AgentServiceAdapter;
import io.failback.controller.grpc.AuditingInterceptor;
import io.failback.controller.grpc.BandwidthServiceAdapter;
import io.failback.controller.grpc.CertificateAdapters;
import io.failback.controller.grpc.FailoverServiceAdapter;
import io.failback.controller.grpc.FencedHostInterceptor;
import io.failback.controller.grpc.HostServiceAdapter;
import io.failback.controller.grpc.InventoryServiceAdapter;
import io.failback.controller.grpc.JobServiceAdapter;
import io.failback.controller.grpc.PendingServices;
import io.failback.controller.grpc.ReadOnlyGate;
import io.failback.controller.grpc.RecoveryPlanServiceAdapter;
import io.failback.controller.grpc.RequestShape;
import io.failback.controller.grpc.SimulationServiceAdapter;
import io.failback.controller.grpc.StandbyServer;
import io.failback.controller.grpc.SyncStreams;
import io.failback.controller.lifecycle.JobAudit;
import io.failback.controller.lifecycle.Jobs;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.ProtectedItems;
import io.failback.controller.lifecycle.SessionSecret;
import io.failback.controller.metrics.ControllerMetrics;
import io.failback.controller.plans.RecoveryPlans;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.StoreException;
import io.failback.controller.sync.DiskSyncs;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.proto.v1.EnrollmentServiceGrpc;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running controller: one mutually authenticated TLS port serving agents and operators.
 *
 * <p>There is no plaintext listener: the only way in is a client certificate from the
 * configured CA, and the authorization interceptor decides what each identity may call.
 */
public final class ControllerServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControllerServer.class);

  private final Server server;
  private final ControllerStore store;
  private final AgentRegistry registry;
  private final Cloud cloud;
  private final Lifecycle lifecycle;
  private final Jobs jobs;
  private final ProtectedItems protectedItems;
  private final RecoveryPlans plans;
  private final SyncStreams syncs;
  private final ControllerTls tls;
  private final HealthStatusManager health;
  private final ControllerTimers timers;
  private final ControllerMetrics metrics;
  private final MetricsEndpoint metricsEndpoint;
  private final ControllerLease lease;

  private ControllerServer(Server server, ControllerStore store, AgentRegistry registry,
      Jobs jobs, ProtectedItems protectedItems, RecoveryPlans plans, SyncStreams syncs,
      ControllerTls tls, HealthStatusManager health, ControllerTimers timers,
      Cloud cloud, Lifecycle lifecycle, ControllerMetrics metrics,
      MetricsEndpoint metricsEndpoint, ControllerLease lease) {
    this.lease = lease;
    this.metrics = metrics;
    this.metricsEndpoint = metricsEndpoint;
    this.cloud = cloud;
    this.lifecycle = lifecycle;
    this.server = server;
    this.syncs = syncs;
    this.store = store;
    this.registry = registry;
    this.jobs = jobs;
    this.protectedItems = protectedItems;
    this.plans = plans;
    this.tls = tls;
    this.health = health;
    this.timers = timers;
  }

  /** Opens the store, binds the port and starts serving. */
  public static ControllerServer start(ControllerConfig config, Clock clock)
      throws IOException, StoreException {
    ControllerTls tls = ControllerTls.load(config, clock);
    Supplier<ServerBuilder<?>> port = () -> config.transport().applyToServer(NettyServerBuilder
        .forAddress(new InetSocketAddress(config.listenHost(), config.port()),
            tls.material().serverCredentials(config.issuing().enabled())));
    return start(config, clock, tls, port.get(), Optional.of(new StandbyServer(port)));
  }

  /**
   * Starts serving on {@code transport}, which the caller has set up (address, credentials,
   * limits); tests pass an in-process one. Calls that do not arrive over TLS are refused by
   * the authorization interceptor, as on the real port.
   */
  static ControllerServer start(ControllerConfig config, Clock clock, ControllerTls tls,
      ServerBuilder<?> transport) throws IOException, StoreException {
    return start(config, clock, tls, transport, Optional.empty());
  }

  private static ControllerServer start(ControllerConfig config, Clock clock, ControllerTls tls,
      ServerBuilder<?> transport, Optional<StandbyServer> standby)
      throws IOException, StoreException {
    String trustDomain = tls.trustDomain();
    ControllerStore store = ControllerStore.open(config.storeLocation());
    ControllerMetrics metrics = new ControllerMetrics(clock);
    ControllerRole role = new ControllerRole(metrics.registry());
    MetricsEndpoint metricsEndpoint = ControllerStartup.probes(config, metrics, role, store);
    ControllerLease lease;
    try {
      lease = ControllerStartup.takeLease(config, store, standby, role);
    } catch (IOException | StoreException | RuntimeException e) {
      Optional.ofNullable(metricsEndpoint).ifPresent(MetricsEndpoint::close);
      throw e;
    }
    Jobs jobs = new Jobs(store.jobRecords(), clock);
    metrics.watch(jobs);
    metrics.watchCertificates(tls.material()::chain, tls.material()::trustAnchors);
    jobs.addListener(new JobAudit(store.auditRecords(), clock));
    ProtectedItems protectedItems = new ProtectedItems(store.protectedItemRecords(), clock);
    RecoveryPlans plans = new RecoveryPlans(store.recoveryPlanRecords(),
        store.protectedItemRecords(), store.jobRecords(), clock);
    ControllerTimers timers = new ControllerTimers();
    AgentRegistry registry = new AgentRegistry(store, clock, config.heartbeatInterval(),
        config.heartbeatTimeout());
    SyncStreams syncs = new SyncStreams(registry,
        new DigestSets(config.stateDir().resolve("digests")));
    ControllerStartup.adoptOwners(store, clock);
    HostAdmin hostAdmin = new HostAdmin(store, registry, (host, reason) -> {
      registry.cut(host, reason);
      syncs.cutHost(host, reason);
    }, clock);
    FencedHostInterceptor fences = new FencedHostInterceptor(hostAdmin);
    Cloud cloud;
    try {
      cloud = config.cloud().open(config.stateDir(), clock);
    } catch (CloudException e) {
      store.close();
      Optional.ofNullable(metricsEndpoint).ifPresent(MetricsEndpoint::close);
      throw new IOException("cannot open the cloud: " + e.getMessage(), e);
    }
    BandwidthControl bandwidth = BandwidthControl.start(store.bandwidthRecords(), plans, jobs,
        host -> registry.host(host).isPresent(), config.bandwidth(), clock, timers.quick(),
        metrics.registry());
    Lifecycle lifecycle = Lifecycle.create(protectedItems, jobs, cloud,
        new AgentHosts(registry, Duration.ofMinutes(5)), syncs, clock,
        config.stateDir().resolve("seeds"), SessionSecret.load(config.stateDir()),
        config.agentReturnTimeout(), config.syncStallTimeout(), metrics.syncMeter(),
        store.checkpointRecords(), bandwidth);
    metrics.watch(lifecycle);
    ControllerStartup.recoverJobs(lifecycle, plans, store);
    // Without an issuing CA nothing is served without a client certificate (the port then
    // also requires one in the handshake).
    AuthorizationInterceptor authorization = new AuthorizationInterceptor(trustDomain,
        AccessPolicy.byService(), tls.validator(), clock, timers.quick(),
        config.peerRecheckPeriod(),
        config.issuing().enabled() ? Set.of(EnrollmentServiceGrpc.SERVICE_NAME) : Set.of());
    Enrollment enrollment = new Enrollment(store, hostAdmin, ControllerStartup.issuingCa(config, clock),
        config.issuing().certLifetime(), clock);
    HealthStatusManager health = new HealthStatusManager();
    List<ServerServiceDefinition> operatorServices = List.of(
        new InventoryServiceAdapter(registry).bindService(),
        new HostServiceAdapter(hostAdmin, registry, store.auditRecords()).bindService(),
        new RecoveryPlanServiceAdapter(plans).bindService(),
        new FailoverServiceAdapter(lifecycle, plans).bindService(),
        new JobServiceAdapter(jobs, lifecycle, bandwidth::withBandwidth).bindService(),
        new BandwidthServiceAdapter(bandwidth).bindService(),
        config.simulation()
            ? new SimulationServiceAdapter(lifecycle, new GuestSimulation(cloud)).bindService()
            : PendingServices.of(CloudSimulationServiceGrpc.getServiceDescriptor(),
                "the controller runs without --simulation"));
    // Every call that may change something is audited, refused ones included; HostService
    // audits its own changes with what it decided.
    AuditingInterceptor auditing = new AuditingInterceptor(store.auditRecords(), clock);
    var readOnlyAttempts = AuditingInterceptor.readOnlyAttempts(store.auditRecords(), clock);
    ReadOnlyGate readOnly = new ReadOnlyGate();
    for (ServerServiceDefinition service : operatorServices) {
      // Inside the parsing of requests, so that the audit sees each request as a message;
      // last-listed runs first: authorization, parsing, the audit, the read-only gate.
      ServerServiceDefinition gated = service.getServiceDescriptor().getName()
          .equals(io.failback.proto.v1.HostServiceGrpc.SERVICE_NAME)
          ? ServerInterceptors.intercept(service, readOnly, readOnlyAttempts)
          : ServerInterceptors.intercept(service, readOnly, auditing);
      transport.addService(ServerInterceptors.intercept(
          MalformedRequests.refuse(gated, RequestShape::problem), authorization));
    }
    // Interceptors run last-listed first: authorization, then the fence check.
    transport.addService(ServerInterceptors.intercept(MalformedRequests.refuse(
        new AgentServiceAdapter(registry, syncs).bindService()), fences, authorization));
    transport.addService(ServerInterceptors.intercept(MalformedRequests.refuse(
        new CertificateAdapters.CertificateAdapter(enrollment).bindService()), fences,
        authorization));
    transport.addService(ServerInterceptors.intercept(MalformedRequests.refuse(
        new CertificateAdapters.EnrollmentAdapter(enrollment).bindService()), authorization));
    for (ServerServiceDefinition service : List.of(
        ProtoReflectionServiceV1.newInstance().bindService(),
        health.getHealthService().bindService())) {
      transport.addService(ServerInterceptors.intercept(MalformedRequests.refuse(service),
          authorization));
    }
    // Runs before every per-service interceptor, so it bounds their refusals too.
    // Outermost: every call is counted, refusals included.
    Server server = transport.intercept(new BoundedDescriptions())
        .intercept(new MetricCollectingServerInterceptor(metrics.registry())).build();
    try {
      server.start();
    } catch (IOException e) {
      timers.shutdownNow();
      store.close();
      Optional.ofNullable(metricsEndpoint).ifPresent(MetricsEndpoint::close);
      throw new IOException("cannot listen on " + config.listenHost() + ":" + config.port()
          + ": " + e.getMessage(), e);
    }
    health.setStatus("", ServingStatus.SERVING);
    metrics.watch(registry, protectedItems);
    role.serving(server::isShutdown);
    timers.schedule(config, metrics, registry, tls, lifecycle);
    log.info("controller listening on " + config.listenHost() + ":" + server.getPort()
        + " (mutual TLS, trust domain " + trustDomain + ")");
    ControllerServer running = new ControllerServer(server, store, registry, jobs,
        protectedItems, plans, syncs, tls, health, timers, cloud, lifecycle, metrics,
        metricsEndpoint, lease);
    lease.keep(timers.lease(), timers.leaseWatch(), () -> {
      role.lost();
      running.leaseLost(config.lease().exitWhenLost());
    });
    return running;
  }

  /**
   * Another controller took the lease over, or it lapsed unrenewed (a standby may take it): the
   * store refuses this one's writes once another holds it; it stops serving, and exits if asked
   * to (for its service manager to start it as a standby).
   */
  private void leaseLost(boolean exit) {
    log.error("this controller lost its lease and stops serving; the controller that takes the"
        + " lease goes on with its jobs");
    if (exit) {
      Runtime.getRuntime().halt(75);
    }
    new Thread(this::halt, "controller-lease-lost").start();
  }

  /**
   * Stops at once as a crash would, but in this process: nothing served, nothing renewed, no
   * job settled, the lease neither released nor the store written. What a controller that lost
   * its lease does when it may not exit, and how tests stand in for kill -9 of an active one.
   */
  void halt() {
    lease.forget();
    health.enterTerminalState();
    server.shutdownNow();
    timers.shutdownNow();
    lifecycle.close();
    syncs.close();
    registry.closeAll("controller stopped");
    try {
      cloud.close(); // a dead process's file locks are gone too
    } catch (Exception e) {
      log.warn("closing the cloud: " + e.getMessage());
    }
    try {
      store.close();
    } catch (StoreException e) {
      log.warn("closing the store: " + e.getMessage());
    }
  }

  public int port() {
    return server.getPort();
  }

  /** Where the metrics and probes are served, if anywhere. */
  public Optional<InetSocketAddress> metricsAddress() {
    return Optional.ofNullable(metricsEndpoint).map(MetricsEndpoint::address);
  }

  /** The controller's meters (what {@code /metrics} serves). */
  public ControllerMetrics metrics() {
    return metrics;
  }

  public AgentRegistry registry() {
    return registry;
  }

  /** The cloud side: cloud VMs, their disks and snapshots. */
  public Cloud cloud() {
    return cloud;
  }

  /** The DR lifecycle behind FailoverService. */
  public Lifecycle lifecycle() {
    return lifecycle;
  }

  /** The jobs operators follow through JobService. */
  public Jobs jobs() {
    return jobs;
  }

  /** The VMs under Failback's care and their lifecycle state. */
  public ProtectedItems protectedItems() {
    return protectedItems;
  }

  /** The recovery plans behind RecoveryPlanService. */
  public RecoveryPlans recoveryPlans() {
    return plans;
  }

  /** Block sync sessions with the agents. */
  public DiskSyncs syncs() {
    return syncs;
  }

  /** The certificate, key and trust the controller serves with. */
  public TlsMaterial tls() {
    return tls.material();
  }

  /** The CRL the controller enforces; reloaded with the TLS files. */
  public RevocationFile revocations() {
    return tls.revocations();
  }

  /** Stops accepting calls, ends open streams and closes the store. */
  @Override
  public void close() {
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    health.enterTerminalState();
    server.shutdown();
    // Jobs stop first: what the closing agent streams then break is not a failure to undo.
    lifecycle.close();
    // Watch streams never end on their own while their jobs run; end them before waiting.
    jobs.endWatches();
    registry.closeAll("controller shutting down");
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    timers.shutdownNow();
    syncs.close();
    try {
      cloud.close();
    } catch (Exception e) {
      log.warn("closing the cloud: " + e.getMessage());
    }
    lease.close();
    try {
      store.close();
    } catch (StoreException e) {
      log.warn("closing the store: " + e.getMessage());
    }
  }
}
