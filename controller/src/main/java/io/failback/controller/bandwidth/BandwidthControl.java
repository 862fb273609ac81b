package io.failback.controller.bandwidth;

import io.failback.common.sync.Throttle;
import io.failback.controller.lifecycle.IllegalTransitionException;
import io.failback.controller.lifecycle.InvalidArgumentException;
import io.failback.controller.lifecycle.JobTransitions;
import io.failback.controller.lifecycle.Jobs;
import io.failback.controller.lifecycle.NotFoundException;
import io.failback.controller.lifecycle.TransferThrottles;
import io.failback.controller.plans.RecoveryPlanException;
import io.failback.controller.plans.RecoveryPlans;
import io.failback.controller.store.BandwidthRecords;
import io.failback.controller.store.BandwidthRecords.Scope;
import io.failback.controller.store.StoreException;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobBandwidth;
import io.failback.proto.v1.RecoveryPlan;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where operators set bandwidth limits and transfers get theirs: the limits set at run time
 * live in the store (a restarted or standby controller keeps them), recovery plans' in the
 * plans, the global default in the configuration.
 */
public final class BandwidthControl implements TransferThrottles {
  private static final Logger log = LoggerFactory.getLogger(BandwidthControl.class);

  private final BandwidthRecords records;
  private final RecoveryPlans plans;
  private final Jobs jobs;
  private final KnownHosts hosts;
  private final Clock clock;
  private final BandwidthLimits limits;
  /** What the store said last; kept while it cannot answer. */
  private volatile Loaded stored = new Loaded(Map.of(), Map.of());

  /** The schedules set at run time and in plans, and the store's records of the former. */
  private record Loaded(Map<LimitScope, BandwidthSchedule> schedules,
      Map<LimitScope, BandwidthRecords.Limit> records) {}

  /** Whether the controller knows a host: an agent registered under the name once. */
  public interface KnownHosts {
    boolean known(String host) throws StoreException;
  }

  /** A limit as the operator sees it. */
  public record View(LimitScope scope, String schedule, String source,
      BandwidthSchedule.Effective now, Optional<BandwidthRecords.Limit> record) {}

  private BandwidthControl(BandwidthRecords records, RecoveryPlans plans, Jobs jobs,
      KnownHosts hosts, BandwidthSchedule configured, ZoneId zone, Clock clock) {
    this.records = records;
    this.plans = plans;
    this.jobs = jobs;
    this.hosts = hosts;
    this.clock = clock;
    load();
    this.limits = BandwidthLimits.system(() -> stored.schedules(), configured, zone);
  }

  /**
   * Loads the limits and keeps them current: every second the schedules are applied again (a
   * time window that began, a limit changed), and a job's limit goes when the job ends.
   */
  public static BandwidthControl start(BandwidthRecords records, RecoveryPlans plans, Jobs jobs,
      KnownHosts hosts, ConfiguredLimit configured, Clock clock,
      ScheduledExecutorService scheduler, MeterRegistry registry) {
    BandwidthControl control = new BandwidthControl(records, plans, jobs, hosts,
        configured.global(), configured.zone(), clock);
    MultiGauge limits = MultiGauge.builder("failback.bandwidth.limit")
        .baseUnit("bits.per.second")
        .description("Bandwidth limit in force per scope that transfers used (absent: none)")
        .register(registry);
    FunctionCounter.builder("failback.bandwidth.wait", control.limits,
        l -> l.waitedNanos() / 1e9).baseUnit("seconds")
        .description("Time transfers' lanes waited for a bandwidth limit, all scopes")
        .register(registry);
    jobs.addListener(job -> {
      if (JobTransitions.isTerminal(job.getState())) {
        control.jobEnded(job.getId());
      }
    });
    scheduler.scheduleWithFixedDelay(() -> {
      control.load();
      control.limits.refresh();
      List<MultiGauge.Row<?>> rows = new ArrayList<>();
      control.limits.inForce().forEach((scope, rate) -> rate.ifPresent(bytes -> rows.add(
          MultiGauge.Row.of(Tags.of("scope", scope.kind().name().toLowerCase(
              java.util.Locale.ROOT), "name", scope.name()), bytes * 8))));
      limits.register(rows, true);
    }, 1, 1, TimeUnit.SECONDS);
    return control;
  }

  @Override
  public Throttle forTransfer(String host, String jobId) {
    String plan = "";
    if (!jobId.isEmpty()) {
      try {
        plan = jobs.get(jobId).getRecoveryPlan();
      } catch (NotFoundException | StoreException e) {
        log.warn("job {}: its recovery plan is unknown ({}); its plan's limit does not apply",
            jobId, e.getMessage());
      }
    }
    return limits.throttleFor(host, jobId, plan);
  }

  /** {@code job} with its bandwidth (limit, achieved rate) while its transfers may run. */
  public Job withBandwidth(Job job) {
    if (JobTransitions.isTerminal(job.getState())) {
      return job;
    }
    return limits.job(job.getId()).map(view -> job.toBuilder().setBandwidth(JobBandwidth
        .newBuilder().setLimitBitsPerSecond(view.limitBytesPerSecond().orElse(0) * 8)
        .setLimitedBy(view.limitedBy())
        .setAchievedBitsPerSecond(view.achievedBytesPerSecond() * 8)).build()).orElse(job);
  }

  /**
   * Sets (or with an empty schedule removes) the limit of a scope; it reaches running
   * transfers now.
   */
  public View set(LimitScope scope, String schedule, String actor)
      throws InvalidArgumentException, NotFoundException, IllegalTransitionException,
      RecoveryPlanException, StoreException {
    BandwidthSchedule parsed = null;
    if (!schedule.isBlank()) {
      try {
        parsed = BandwidthSchedule.parse(schedule);
      } catch (IllegalArgumentException e) {
        throw new InvalidArgumentException("schedule: " + e.getMessage());
      }
    }
    String text = parsed == null ? "" : parsed.text();
    switch (scope.kind()) {
      case PLAN -> plans.setBandwidthLimit(scope.name(), text);
      case JOB -> {
        Job job = jobs.get(scope.name());
        if (JobTransitions.isTerminal(job.getState())) {
          throw new IllegalTransitionException("cannot set a bandwidth limit", "job "
              + job.getId(), job.getState().name(), List.of());
        }
        write(Scope.JOB, job.getId(), text, actor);
        // The job may have ended meanwhile, its listener removing its limit before it was
        // written: no limit outlives its job.
        Job now = jobs.get(job.getId());
        if (JobTransitions.isTerminal(now.getState())) {
          records.remove(Scope.JOB, job.getId());
          throw new IllegalTransitionException("cannot set a bandwidth limit", "job "
              + job.getId(), now.getState().name(), List.of());
        }
      }
      case HOST -> {
        // A typo would limit nothing: a limit is set only for a host the controller knows,
        // and may still be cleared after the host was removed.
        if (!text.isEmpty() && !hosts.known(scope.name())) {
          throw new NotFoundException("host " + scope.name() + " is not known: no agent has"
              + " registered under that name (list the hosts with 'failback hosts')");
        }
        write(Scope.HOST, scope.name(), text, actor);
      }
      case GLOBAL -> write(Scope.GLOBAL, "", text, actor);
    }
    load();
    limits.refresh();
    return views().stream().filter(v -> v.scope().equals(scope)).findFirst()
        .orElse(new View(scope, "", "removed",
            new BandwidthSchedule.Effective(java.util.OptionalLong.empty(), "no limit set"),
            Optional.empty()));
  }

  /** Every limit with what it says now, the configured global one included. */
  public List<View> list() throws StoreException {
    // A plan's limit may have changed with the plan since the last second's load.
    try {
      reload();
    } catch (IllegalArgumentException e) {
      log.warn("bandwidth limits not reloaded, the last ones hold: {}", e.getMessage());
    }
    return views();
  }

  private List<View> views() {
    Map<LimitScope, BandwidthRecords.Limit> byScope = stored.records();
    List<View> views = new ArrayList<>();
    for (BandwidthLimits.ScopeView view : limits.scopes()) {
      LimitScope scope = view.scope();
      String source = view.configured() ? "configuration"
          : scope.kind() == LimitScope.Kind.PLAN ? "recovery plan" : "operator";
      views.add(new View(scope, view.schedule().text(), source, view.now(),
          Optional.ofNullable(byScope.get(scope))));
    }
    return views;
  }

  private void write(Scope scope, String name, String schedule, String actor)
      throws StoreException {
    if (schedule.isEmpty()) {
      records.remove(scope, name);
    } else {
      records.put(new BandwidthRecords.Limit(scope, name, schedule, actor, clock.instant()));
    }
  }

  private void jobEnded(String jobId) {
    limits.forgetJob(jobId);
    try {
      if (records.remove(Scope.JOB, jobId)) {
        load();
      }
    } catch (StoreException e) {
      log.warn("job {} ended; its bandwidth limit stays stored: {}", jobId, e.getMessage());
    }
  }

  /** Reads the limits set at run time and the plans'; keeps the last ones if it cannot. */
  private void load() {
    try {
      reload();
    } catch (StoreException | IllegalArgumentException e) {
      log.warn("bandwidth limits not reloaded, the last ones hold: {}", e.getMessage());
    }
  }

  /**
   * Synchronized: the scheduled reload may have read the store just before an operator's
   * change; its older view must not land after the change's own reload, or transfers started
   * in the next second (and the choices made from their limit, such as a VM's block size)
   * would not see the change.
   */
  private synchronized void reload() throws StoreException {
    Map<LimitScope, BandwidthSchedule> found = new HashMap<>();
    Map<LimitScope, BandwidthRecords.Limit> byScope = new HashMap<>();
    for (BandwidthRecords.Limit limit : records.all()) {
      found.put(scopeOf(limit), BandwidthSchedule.parse(limit.schedule()));
      byScope.put(scopeOf(limit), limit);
    }
    for (RecoveryPlan plan : plans.list()) {
      if (!plan.getBandwidthLimit().isEmpty()) {
        found.put(LimitScope.plan(plan.getName()),
            BandwidthSchedule.parse(plan.getBandwidthLimit()));
      }
    }
    stored = new Loaded(Map.copyOf(found), Map.copyOf(byScope));
  }

  private static LimitScope scopeOf(BandwidthRecords.Limit limit) {
    return switch (limit.scope()) {
      case GLOBAL -> LimitScope.GLOBAL;
      case HOST -> LimitScope.host(limit.name());
      case JOB -> LimitScope.job(limit.name());
    };
  }
}
