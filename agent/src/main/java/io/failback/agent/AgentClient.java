package io.failback.agent;

import io.failback.agent.encryption.EncryptionCertificateStore;
import io.failback.agent.grpc.AgentChannels;
import io.failback.agent.grpc.CertificateRenewer;
import io.failback.agent.grpc.ControlSession;
import io.failback.agent.hyperv.HypervisorDriver;
import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.agent.hyperv.state.GuardedHypervisor;
import io.failback.certs.Role;
import io.failback.common.grpc.ControllerTargets;
import io.failback.common.grpc.TlsMaterial;
import io.failback.common.metrics.MetricsEndpoint;
import io.failback.common.metrics.Registries;
import io.failback.common.metrics.SyncMeter;
import io.failback.common.retry.Backoff;
import io.failback.common.sync.DigestSets;
import io.failback.common.tls.IdentityException;
import io.failback.common.tls.PeerIdentity;
import io.failback.common.tls.TrustDomain;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A running agent: outbound mutually authenticated TLS connections to the controller, one for
 * control and a few for the lanes of uploads ({@link AgentChannels}).
 *
 * <p>The agent checks the controller's host name against its certificate, and checks before
 * dialling that its own certificate names the host it is about to register, so a mix-up is
 * reported here rather than as a refusal from the controller.
 */
public final class AgentClient implements AutoCloseable {
  /** The version reported in the inventory. */
  public static final String VERSION = versionOf();

  private final AgentChannels channels;
  private final ControlSession session;
  private final ScheduledExecutorService scheduler;
  private final ScheduledExecutorService renewals;
  private final String hostName;
  private final MetricsEndpoint endpoint;

  private AgentClient(AgentChannels channels, ControlSession session,
      ScheduledExecutorService scheduler, ScheduledExecutorService renewals, String hostName,
      MetricsEndpoint endpoint) {
    this.endpoint = endpoint;
    this.channels = channels;
    this.session = session;
    this.scheduler = scheduler;
    this.renewals = renewals;
    this.hostName = hostName;
  }

  /** Starts an agent for a simulated host; it connects in the background. */
  public static AgentClient start(AgentConfig config, Clock clock,
      ControlSession.SessionListener listener) throws IOException {
    return start(config, new SimulatedHypervisor(config.hostDir()), clock, listener);
  }

  /** Starts an agent driving {@code driver}, guarded by the state in the config's dir. */
  public static AgentClient start(AgentConfig config, HypervisorDriver driver, Clock clock,
      ControlSession.SessionListener listener) throws IOException {
    return start(config, new GuardedHypervisor(driver, config.stateDir()), clock, listener);
  }

  private static AgentClient start(AgentConfig config, GuardedHypervisor driver, Clock clock,
      ControlSession.SessionListener listener) throws IOException {
    TlsMaterial tls = TlsMaterial.load(config.tls(), true);
    String ownHost = ownHostName(tls);
    String reported = driver.inventory().getHostName();
    if (!reported.equalsIgnoreCase(ownHost)) {
      throw new IOException("the agent certificate " + config.tls().certificate()
          + " is for host '" + ownHost + "' but the hypervisor reports host '" + reported
          + "'; issue a certificate for '" + reported + "'");
    }
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "agent-control");
      thread.setDaemon(true);
      return thread;
    });
    // New channels whenever the TLS files reload: a full handshake shows the new certificate.
    AgentChannels channels = AgentChannels.of(() -> channelBuilder(config, tls).build(),
        () -> config.transport().applyToUploadChannel(ControllerTargets.channelBuilder(
            config.controller(), tls.channelCredentials())).build(),
        config.transport().agentUploadConnections());
    Backoff backoff = new Backoff(config.backoffInitial(), config.backoffMax(), 2.0, 0.2,
        new Random());
    PrometheusMeterRegistry meters = Registries.prometheus();
    ControlSession session = new ControlSession(channels, driver, VERSION, scheduler, backoff,
        clock, listener, new DigestSets(config.stateDir().resolve("digests")),
        new EncryptionCertificateStore(config.encryptionDir()), new SyncMeter(meters));
    Gauge.builder("failback.agent.connected", session, s -> s.isRegistered() ? 1 : 0)
        .description("1 while the controller has accepted this agent's registration")
        .tag("host", ownHost).register(meters);
    Gauge.builder("failback.agent.certificate.not.after", tls,
            t -> t.chain()[0].getNotAfter().getTime() / 1000.0).strongReference(true)
        .baseUnit("seconds")
        .description("When the certificate this agent presents expires, in seconds since the"
            + " epoch (renewed at two thirds of its life when the controller issues)")
        .tag("host", ownHost).register(meters);
    Gauge.builder("failback.agent.upload.lanes", channels, AgentChannels::openUploadLanes)
        .description("Upload lanes open, each on an upload connection while there are enough")
        .tag("host", ownHost).register(meters);
    Gauge.builder("failback.agent.upload.connections", channels,
            AgentChannels::uploadConnections)
        .description("Upload connections this agent may open (--upload-connections)")
        .tag("host", ownHost).register(meters);
    long reload = config.reloadPeriod().toMillis();
    scheduler.scheduleWithFixedDelay(() -> {
      if (tls.reloadIfChanged()) {
        channels.renew();
        session.moveToNewConnection("the TLS files changed");
      }
    }, reload, reload, TimeUnit.MILLISECONDS);
    // Renewal calls the controller and may wait: its own thread, so that the control session's
    // thread never blocks; the new files are taken by the reload above.
    ScheduledExecutorService renewals = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "agent-certificate-renewal");
      thread.setDaemon(true);
      return thread;
    });
    CertificateRenewer renewer = new CertificateRenewer(tls, channels.control(), clock);
    renewals.scheduleWithFixedDelay(() -> {
      if (renewer.renewIfDue()) {
        scheduler.execute(() -> {
          if (tls.reloadIfChanged()) {
            channels.renew();
            session.moveToNewConnection("certificate renewed");
          }
        });
      }
    }, reload, reload, TimeUnit.MILLISECONDS);
    session.start();
    MetricsEndpoint endpoint = null;
    if (config.metricsAddress() != null) {
      try {
        endpoint = MetricsEndpoint.start(config.metricsAddress(), meters,
            () -> session.isRegistered() ? Optional.empty()
                : Optional.of("not registered with the controller at " + config.controller()));
      } catch (IOException e) {
        session.close();
        renewals.shutdownNow();
        scheduler.shutdown();
        channels.close();
        throw new IOException("cannot serve metrics on " + config.metricsAddress() + ": "
            + e.getMessage(), e);
      }
    }
    return new AgentClient(channels, session, scheduler, renewals, ownHost, endpoint);
  }

  /**
   * The agent's channel to the controller, before it is built: mutual TLS, the transport
   * limits and keepalive pings the controller permits (TransportLimits).
   */
  public static ManagedChannelBuilder<?> channelBuilder(AgentConfig config, TlsMaterial tls) {
    return config.transport().applyToAgentChannel(
        ControllerTargets.channelBuilder(config.controller(), tls.channelCredentials()));
  }

  private static String ownHostName(TlsMaterial tls) throws IOException {
    try {
      String trustDomain = TrustDomain.of(Arrays.asList(tls.trustAnchors()));
      PeerIdentity own = PeerIdentity.of(tls.chain()[0], trustDomain);
      if (own.role() != Role.AGENT) {
        throw new IOException("the certificate " + tls.files().certificate() + " is "
            + own.spiffeId() + ", not an agent certificate; issue one with"
            + " failback-pki issue --role agent");
      }
      return own.name();
    } catch (IdentityException e) {
      throw new IOException("the agent certificate " + tls.files().certificate()
          + " is not a Failback agent certificate: " + e.getMessage(), e);
    }
  }

  /** The host name in this agent's certificate. */
  public String hostName() {
    return hostName;
  }

  @Override
  public void close() {
    if (endpoint != null) {
      endpoint.close();
    }
    session.close();
    renewals.shutdownNow();
    scheduler.shutdown();
    channels.close();
  }

  private static String versionOf() {
    String version = AgentClient.class.getPackage().getImplementationVersion();
    return version != null ? version : "0.1.0-dev";
  }

}
