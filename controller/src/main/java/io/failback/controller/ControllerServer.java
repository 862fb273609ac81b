package io.failback.controller;

import io.failback.certs.Pem;
import io.failback.certs.Role;
import io.failback.common.grpc.AuthorizationInterceptor;
import io.failback.common.grpc.TlsMaterial;
import io.failback.common.sync.DigestSets;
import io.failback.common.tls.ChainValidator;
import io.failback.common.tls.IdentityException;
import io.failback.common.tls.TrustDomain;
import io.failback.controller.agents.AgentHosts;
import io.failback.controller.agents.AgentRegistry;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.CloudException;
import io.failback.controller.cloud.GuestSimulation;
import io.failback.controller.grpc.FailoverServiceAdapter;
import io.failback.controller.grpc.SimulationServiceAdapter;
import io.failback.proto.v1.CloudSimulationServiceGrpc;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.SessionSecret;
import io.failback.controller.grpc.AgentServiceAdapter;
import io.failback.controller.grpc.InventoryServiceAdapter;
import io.failback.controller.grpc.JobServiceAdapter;
import io.failback.controller.grpc.PendingServices;
import io.failback.controller.grpc.RecoveryPlanServiceAdapter;
import io.failback.controller.grpc.SyncStreams;
import io.failback.controller.lifecycle.Jobs;
import io.failback.controller.lifecycle.ProtectedItems;
import io.failback.controller.plans.RecoveryPlans;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.store.StoreException;
import io.failback.controller.sync.DiskSyncs;
import io.failback.proto.v1.AgentServiceGrpc;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.InventoryServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.RecoveryPlanServiceGrpc;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A running controller: one mutually authenticated TLS port serving agents and operators.
 *
 * <p>There is no plaintext listener: the only way in is a client certificate from the
 * configured CA, and the authorization interceptor decides what each identity may call.
 */
public final class ControllerServer implements AutoCloseable {
  private static final Logger log = Logger.getLogger(ControllerServer.class.getName());

  private final Server server;
  private final ControllerStore store;
  private final AgentRegistry registry;
  private final Cloud cloud;
  private final Lifecycle lifecycle;
  private final Jobs jobs;
  private final ProtectedItems protectedItems;
  private final RecoveryPlans plans;
  private final SyncStreams syncs;
  private final TlsMaterial tls;
  private final HealthStatusManager health;
  private final ScheduledExecutorService scheduler;

  private ControllerServer(Server server, ControllerStore store, AgentRegistry registry,
      Jobs jobs, ProtectedItems protectedItems, RecoveryPlans plans, SyncStreams syncs,
      TlsMaterial tls, HealthStatusManager health, ScheduledExecutorService scheduler,
      Cloud cloud, Lifecycle lifecycle) {
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
    this.scheduler = scheduler;
  }

  /** Which role may call which service; anything not listed is refused to everyone. */
  public static Map<String, Set<Role>> accessPolicy() {
    Set<Role> operators = Set.of(Role.OPERATOR);
    return Map.of(
        AgentServiceGrpc.SERVICE_NAME, Set.of(Role.AGENT),
        InventoryServiceGrpc.SERVICE_NAME, operators,
        RecoveryPlanServiceGrpc.SERVICE_NAME, operators,
        FailoverServiceGrpc.SERVICE_NAME, operators,
        JobServiceGrpc.SERVICE_NAME, operators,
        "grpc.reflection.v1.ServerReflection", operators,
        "grpc.health.v1.Health", operators,
        CloudSimulationServiceGrpc.SERVICE_NAME, operators);
  }

  /** Opens the store, binds the port and starts serving. */
  public static ControllerServer start(ControllerConfig config, Clock clock)
      throws IOException, StoreException {
    TlsMaterial tls = TlsMaterial.load(config.tls(), false);
    String trustDomain = config.trustDomain() != null ? config.trustDomain()
        : trustDomainOf(config);
    ControllerStore store = ControllerStore.open(config.stateDir().resolve("controller.db"));
    Jobs jobs = new Jobs(store.jobRecords(), clock);
    ProtectedItems protectedItems = new ProtectedItems(store.protectedItemRecords(), clock);
    RecoveryPlans plans = new RecoveryPlans(store.recoveryPlanRecords(),
        store.protectedItemRecords(), store.jobRecords(), clock);
    recoverJobs(jobs, store);
    ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, runnable -> {
      Thread thread = new Thread(runnable, "controller-scheduler");
      thread.setDaemon(true);
      return thread;
    });
    AgentRegistry registry = new AgentRegistry(store, clock, config.heartbeatInterval(),
        config.heartbeatTimeout());
    SyncStreams syncs = new SyncStreams(registry,
        new DigestSets(config.stateDir().resolve("digests")));
    Cloud cloud;
    try {
      cloud = config.cloud().open(config.stateDir(), clock);
    } catch (CloudException e) {
      store.close();
      throw new IOException("cannot open the cloud: " + e.getMessage(), e);
    }
    Lifecycle lifecycle = Lifecycle.create(protectedItems, jobs, cloud,
        new AgentHosts(registry, Duration.ofMinutes(5)), syncs, clock,
        config.stateDir().resolve("seeds"), SessionSecret.load(config.stateDir()));
    lifecycle.recoverItems();
    AuthorizationInterceptor authorization = new AuthorizationInterceptor(trustDomain,
        accessPolicy(), new ChainValidator(tls::trustAnchors), clock, scheduler,
        config.peerRecheckPeriod());
    HealthStatusManager health = new HealthStatusManager();
    Server server = NettyServerBuilder
        .forAddress(new InetSocketAddress(config.listenHost(), config.port()),
            tls.serverCredentials())
        .addService(ServerInterceptors.intercept(new AgentServiceAdapter(registry, syncs),
            authorization))
        .addService(ServerInterceptors.intercept(new InventoryServiceAdapter(registry),
            authorization))
        .addService(ServerInterceptors.intercept(new RecoveryPlanServiceAdapter(plans),
            authorization))
        .addService(ServerInterceptors.intercept(new FailoverServiceAdapter(lifecycle, plans),
            authorization))
        .addService(ServerInterceptors.intercept(new JobServiceAdapter(jobs, lifecycle),
            authorization))
        .addService(ServerInterceptors.intercept(config.simulation()
            ? new SimulationServiceAdapter(lifecycle, new GuestSimulation(cloud)).bindService()
            : PendingServices.of(CloudSimulationServiceGrpc.getServiceDescriptor(),
                "the controller runs without --simulation"), authorization))
        .addService(ServerInterceptors.intercept(ProtoReflectionServiceV1.newInstance(),
            authorization))
        .addService(ServerInterceptors.intercept(health.getHealthService(), authorization))
        .build();
    try {
      server.start();
    } catch (IOException e) {
      scheduler.shutdownNow();
      store.close();
      throw new IOException("cannot listen on " + config.listenHost() + ":" + config.port()
          + ": " + e.getMessage(), e);
    }
    health.setStatus("", ServingStatus.SERVING);
    long sweep = Math.max(100, config.heartbeatInterval().toMillis() / 2);
    scheduler.scheduleWithFixedDelay(registry::expireStale, sweep, sweep, TimeUnit.MILLISECONDS);
    long reload = config.reloadPeriod().toMillis();
    scheduler.scheduleWithFixedDelay(tls::reloadIfChanged, reload, reload, TimeUnit.MILLISECONDS);
    long cycle = config.replicationInterval().toMillis();
    scheduler.scheduleWithFixedDelay(lifecycle::replicateAll, cycle, cycle,
        TimeUnit.MILLISECONDS);
    log.info("controller listening on " + config.listenHost() + ":" + server.getPort()
        + " (mutual TLS, trust domain " + trustDomain + ")");
    return new ControllerServer(server, store, registry, jobs, protectedItems, plans, syncs,
        tls, health, scheduler, cloud, lifecycle);
  }

  /** No job runner survives a restart yet, so every job left unfinished fails, saying why. */
  private static void recoverJobs(Jobs jobs, ControllerStore store) throws StoreException {
    List<Job> settled;
    try {
      settled = jobs.recover();
    } catch (StoreException | RuntimeException e) {
      try {
        store.close();
      } catch (StoreException closeFailure) {
        e.addSuppressed(closeFailure);
      }
      throw e;
    }
    for (Job job : settled) {
      log.warning("job " + job.getId() + " (" + job.getKind() + ") was unfinished when the"
          + " controller stopped; it is now " + job.getState());
    }
  }

  private static String trustDomainOf(ControllerConfig config) throws IOException {
    try {
      return TrustDomain.of(Pem.readCertificates(config.tls().trustBundle()));
    } catch (IdentityException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  public int port() {
    return server.getPort();
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

  public TlsMaterial tls() {
    return tls;
  }

  /** Stops accepting calls, ends open streams and closes the store. */
  @Override
  public void close() {
    health.enterTerminalState();
    server.shutdown();
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
    scheduler.shutdownNow();
    lifecycle.close();
    syncs.close();
    try {
      cloud.close();
    } catch (Exception e) {
      log.warning("closing the cloud: " + e.getMessage());
    }
    try {
      store.close();
    } catch (StoreException e) {
      log.warning("closing the store: " + e.getMessage());
    }
  }
}
