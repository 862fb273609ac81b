package io.failback.controller.metrics;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.failback.common.metrics.Registries;
import io.failback.common.metrics.SyncMeter;
import io.failback.controller.agents.AgentRegistry;
import io.failback.controller.lifecycle.Jobs;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.ProtectedItems;
import io.failback.controller.lifecycle.Rpo;
import io.failback.controller.lifecycle.Transitions;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.Host;
import io.failback.proto.v1.ProtectedItem;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's meters: syncs (through {@link SyncMeter}), jobs, agents and each protected
 * item's RPO. Per-host and per-item rows are refreshed by {@link #refresh}.
 */
public final class ControllerMetrics {
  private static final Logger log = LoggerFactory.getLogger(ControllerMetrics.class);

  private final PrometheusMeterRegistry registry;
  private final SyncMeter syncMeter;
  private final Clock clock;
  private final MultiGauge hostOnline;
  private final MultiGauge heartbeatAge;
  private final MultiGauge roundTrip;
  private final MultiGauge certificateNotAfter;
  private final MultiGauge recoveryPointAge;
  private final MultiGauge rpoTarget;
  private final MultiGauge rpoWarning;
  private final MultiGauge cloudVmDown;
  private final MultiGauge liveOnPrem;
  private AgentRegistry agents;
  private ProtectedItems items;

  public ControllerMetrics(Clock clock) {
    this.clock = clock;
    this.registry = Registries.prometheus();
    this.syncMeter = new SyncMeter(registry);
    this.hostOnline = MultiGauge.builder("failback.agent.online")
        .description("1 while the host's agent has a live control stream, else 0")
        .register(registry);
    this.heartbeatAge = MultiGauge.builder("failback.agent.heartbeat.age").baseUnit("seconds")
        .description("Time since the host's agent last sent a heartbeat (connected hosts)")
        .register(registry);
    this.roundTrip = MultiGauge.builder("failback.agent.round.trip").baseUnit("seconds")
        .description("The least round trip of the host's control stream over its last probes"
            + " (connected hosts whose agent answers them); an upload's lanes follow it")
        .register(registry);
    this.certificateNotAfter = MultiGauge.builder("failback.agent.certificate.not.after")
        .baseUnit("seconds").description("When the certificate the host's agent presented on"
            + " its live control connection expires, in seconds since the epoch (connected"
            + " hosts); alert on it minus time() falling under a third of the lifetime")
        .register(registry);
    this.recoveryPointAge = MultiGauge.builder("failback.item.recovery.point.age")
        .baseUnit("seconds")
        .description("The current RPO of a replicating protected item: the age of its"
            + " latest recovery point")
        .register(registry);
    this.rpoTarget = MultiGauge.builder("failback.item.rpo.target").baseUnit("seconds")
        .description("The RPO target of a replicating protected item").register(registry);
    this.rpoWarning = MultiGauge.builder("failback.item.rpo.warning")
        .description("1 while a replicating item's RPO exceeds its target or its last delta"
            + " cycle failed (the item's rpo_warning says which), else 0")
        .register(registry);
    this.cloudVmDown = MultiGauge.builder("failback.item.cloud.vm.down")
        .description("1 while a failed-over item's cloud VM, its active copy, is not running"
            + " (the item's cloud_vm_warning says since when), else 0")
        .register(registry);
    this.liveOnPrem = MultiGauge.builder("failback.item.onprem.vm.live")
        .description("1 while a failed-over item's on-prem VM runs too, two live copies (the"
            + " item's on_prem_vm_warning says since when), else 0")
        .register(registry);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Where the controller's side of every sync counts its bytes and blocks. */
  public SyncMeter syncMeter() {
    return syncMeter;
  }

  /** Counts jobs by kind and state, their durations and downtimes, from every change. */
  public void watch(Jobs jobs) {
    jobs.addListener(new JobMeter(registry));
  }

  /** Counts replication cycles by result, and their durations. */
  public void watch(Lifecycle lifecycle) {
    lifecycle.addCycleListener(new CycleMeter(registry));
  }

  /**
   * Exports when this controller's own certificate and the earliest of the CAs it trusts
   * expire, as the TLS files hold them now (a reload shows at the next scrape).
   */
  public void watchCertificates(Supplier<X509Certificate[]> chain,
      Supplier<X509Certificate[]> trustAnchors) {
    Gauge.builder("failback.controller.certificate.not.after", chain,
            c -> epochSeconds(c.get()[0])).strongReference(true).baseUnit("seconds")
        .description("When this controller's certificate expires, in seconds since the epoch")
        .register(registry);
    Gauge.builder("failback.controller.ca.not.after", trustAnchors,
            a -> Arrays.stream(a.get()).mapToDouble(ControllerMetrics::epochSeconds).min()
                .orElse(Double.NaN)).strongReference(true).baseUnit("seconds")
        .description("When the first of the CA certificates this controller trusts expires,"
            + " in seconds since the epoch").register(registry);
  }

  private static double epochSeconds(X509Certificate certificate) {
    return certificate.getNotAfter().getTime() / 1000.0;
  }

  /** Exports agents and items; the rows follow hosts and items at each {@link #refresh}. */
  public void watch(AgentRegistry agentRegistry, ProtectedItems protectedItems) {
    this.agents = agentRegistry;
    this.items = protectedItems;
    Gauge.builder("failback.agents.connected", agentRegistry,
            r -> r.lastHeartbeats().size())
        .description("Agents with a live control stream").register(registry);
    Gauge.builder("failback.agent.commands.pending", agentRegistry,
            AgentRegistry::pendingCommands)
        .description("Commands sent to agents whose answer is still awaited; one that only"
            + " grows is a host that does not answer").register(registry);
    refresh();
  }

  /** Brings the per-host and per-item rows up to date with the store. */
  public void refresh() {
    if (agents == null) {
      return;
    }
    try {
      List<MultiGauge.Row<?>> online = new ArrayList<>();
      List<MultiGauge.Row<?>> certificates = new ArrayList<>();
      for (Host host : agents.hosts()) {
        String name = host.getName();
        online.add(MultiGauge.Row.of(Tags.of("host", name), agents,
            r -> r.isOnline(name) ? 1 : 0));
        if (host.hasCertificateNotAfter()) {
          certificates.add(MultiGauge.Row.of(Tags.of("host", name),
              Timestamps.toMillis(host.getCertificateNotAfter()) / 1000.0));
        }
      }
      hostOnline.register(online, true);
      certificateNotAfter.register(certificates, true);
      List<MultiGauge.Row<?>> ages = new ArrayList<>();
      List<MultiGauge.Row<?>> trips = new ArrayList<>();
      for (String host : agents.lastHeartbeats().keySet()) {
        ages.add(MultiGauge.Row.of(Tags.of("host", host), agents, r -> secondsSince(
            r.lastHeartbeats().get(host))));
        trips.add(MultiGauge.Row.of(Tags.of("host", host), agents, r -> r.roundTrip(host)
            .map(d -> d.toNanos() / 1e9).orElse(Double.NaN)));
      }
      heartbeatAge.register(ages, true);
      roundTrip.register(trips, true);
      // Rows hold what the store said at this refresh: a scrape reads no store. The age runs
      // on at scrape time; a new recovery point or warning shows at the next refresh.
      List<MultiGauge.Row<?>> rpo = new ArrayList<>();
      List<MultiGauge.Row<?>> targets = new ArrayList<>();
      List<MultiGauge.Row<?>> warnings = new ArrayList<>();
      List<MultiGauge.Row<?>> down = new ArrayList<>();
      List<MultiGauge.Row<?>> live = new ArrayList<>();
      for (ProtectedItem item : items.list()) {
        Tags tags = Tags.of("vm", item.getVmId(), "vm_name", item.getVmName());
        if (Transitions.cloudCopyRests(item.getState())) {
          down.add(MultiGauge.Row.of(tags, item.getCloudVmWarning().isEmpty() ? 0 : 1));
          live.add(MultiGauge.Row.of(tags, item.getOnPremVmWarning().isEmpty() ? 0 : 1));
        }
        if (!Rpo.REPLICATING.contains(item.getState())) {
          continue;
        }
        if (item.hasLastRecoveryPoint()) {
          Instant point = Instant.ofEpochMilli(Timestamps.toMillis(item.getLastRecoveryPoint()));
          rpo.add(MultiGauge.Row.of(tags, point, this::secondsSince));
        }
        targets.add(MultiGauge.Row.of(tags, Durations.toMillis(item.getRpoTarget()) / 1000.0));
        warnings.add(MultiGauge.Row.of(tags, item.getRpoWarning().isEmpty() ? 0 : 1));
      }
      recoveryPointAge.register(rpo, true);
      rpoTarget.register(targets, true);
      rpoWarning.register(warnings, true);
      cloudVmDown.register(down, true);
      liveOnPrem.register(live, true);
    } catch (StoreException | RuntimeException e) {
      log.warn("metrics: cannot refresh hosts and items: " + e.getMessage());
    }
  }

  private double secondsSince(Instant then) {
    return then == null ? Double.NaN
        : Duration.between(then, clock.instant()).toMillis() / 1000.0;
  }
}
