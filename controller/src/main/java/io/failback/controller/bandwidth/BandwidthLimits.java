package io.failback.controller.bandwidth;

import io.failback.common.sync.Throttle;
import io.github.bucket4j.BlockingStrategy;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The bandwidth limits in force and the buckets that enforce them. A transfer's lanes take
 * every frame from the buckets of its job, its recovery plan, its host and the global one, so
 * each scope keeps to its own rate whatever runs under it.
 *
 * <p>{@link #refresh} applies the schedules at the current time (time windows, limits an
 * operator changed meanwhile); the controller calls it every second, so a change reaches the
 * running lanes within a second.
 */
public final class BandwidthLimits {
  /** How far back a job's achieved rate looks. */
  static final long RATE_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final Supplier<Map<LimitScope, BandwidthSchedule>> schedules;
  private final BandwidthSchedule configuredGlobal;
  private final Clock clock;
  private final ZoneId zone;
  private final TimeMeter time;
  private final BlockingStrategy blocking;
  private final Map<LimitScope, PacedBucket> buckets = new ConcurrentHashMap<>();
  private final Map<LimitScope, BandwidthSchedule.Effective> effective =
      new ConcurrentHashMap<>();
  private final Map<String, JobLink> jobs = new ConcurrentHashMap<>();
  /** How long lanes have waited for any bucket, in total: a limit that holds transfers back. */
  private final java.util.concurrent.atomic.LongAdder waitedNanos =
      new java.util.concurrent.atomic.LongAdder();

  /** The scopes a job's transfers take from, and samples of what it moved. */
  private record JobLink(List<LimitScope> scopes, Deque<long[]> samples) {}

  /** What limits a job now and what it achieves. */
  public record JobView(OptionalLong limitBytesPerSecond, String limitedBy,
      double achievedBytesPerSecond) {}

  /** A scope's schedule, where it comes from, and what it says now. */
  public record ScopeView(LimitScope scope, BandwidthSchedule schedule, boolean configured,
      BandwidthSchedule.Effective now) {}

  /**
   * @param schedules the limits set at run time (store, recovery plans), read on each refresh
   * @param configuredGlobal the configuration's global limit, unless one is set at run time
   * @param zone the zone time windows are written in
   * @param time the buckets' clock; {@code blocking} waits on it
   */
  public BandwidthLimits(Supplier<Map<LimitScope, BandwidthSchedule>> schedules,
      BandwidthSchedule configuredGlobal, Clock clock, ZoneId zone, TimeMeter time,
      BlockingStrategy blocking) {
    this.schedules = schedules;
    this.configuredGlobal = configuredGlobal;
    this.clock = clock;
    this.zone = zone;
    this.time = time;
    this.blocking = blocking;
    refresh();
  }

  /** Limits on the wall clock and real waits. */
  public static BandwidthLimits system(Supplier<Map<LimitScope, BandwidthSchedule>> schedules,
      BandwidthSchedule configuredGlobal, ZoneId zone) {
    return new BandwidthLimits(schedules, configuredGlobal, Clock.system(zone), zone,
        TimeMeter.SYSTEM_NANOTIME, BlockingStrategy.PARKING);
  }

  /**
   * The throttle of a transfer of {@code host}, for job {@code jobId} of recovery plan
   * {@code plan} (either empty when there is none: a replication cycle, a single VM's job).
   */
  public Throttle throttleFor(String host, String jobId, String plan) {
    List<LimitScope> scopes = new ArrayList<>();
    if (!jobId.isEmpty()) {
      scopes.add(LimitScope.job(jobId));
    }
    if (!plan.isEmpty()) {
      scopes.add(LimitScope.plan(plan));
    }
    scopes.add(LimitScope.host(host));
    scopes.add(LimitScope.GLOBAL);
    List<PacedBucket> taken = new ArrayList<>();
    Map<LimitScope, BandwidthSchedule> now = current();
    for (LimitScope scope : scopes) {
      taken.add(buckets.computeIfAbsent(scope, s -> {
        PacedBucket bucket = new PacedBucket(time, nanos -> {
          waitedNanos.add(nanos);
          blocking.park(nanos);
        });
        apply(s, bucket, now.get(s));
        return bucket;
      }));
    }
    if (!jobId.isEmpty()) {
      jobs.computeIfAbsent(jobId, id -> new JobLink(List.copyOf(scopes), new ArrayDeque<>()));
    }
    return new Throttle() {
      @Override
      public void take(long bytes) throws InterruptedException {
        for (PacedBucket bucket : taken) {
          bucket.take(bytes);
        }
      }

      @Override
      public OptionalLong bytesPerSecond() {
        return lowest(scopes).limit();
      }
    };
  }

  /** The lowest limit now in force among {@code scopes}, and which scope sets it. */
  private Lowest lowest(List<LimitScope> scopes) {
    OptionalLong lowest = OptionalLong.empty();
    String by = "no limit";
    for (LimitScope scope : scopes) {
      BandwidthSchedule.Effective now = effective.get(scope);
      if (now != null && now.bytesPerSecond().isPresent() && (lowest.isEmpty()
          || now.bytesPerSecond().getAsLong() < lowest.getAsLong())) {
        lowest = now.bytesPerSecond();
        by = scope.describe() + " (" + now.because() + ")";
      }
    }
    return new Lowest(lowest, by);
  }

  private record Lowest(OptionalLong limit, String by) {}

  /**
   * Applies every schedule at the current time and samples the jobs' achieved rates.
   * Synchronized, as {@code BandwidthControl}'s reload: a refresh that read the schedules
   * before a change must not apply them after the change's own refresh.
   */
  public synchronized void refresh() {
    Map<LimitScope, BandwidthSchedule> now = current();
    buckets.forEach((scope, bucket) -> apply(scope, bucket, now.get(scope)));
    long nanos = time.currentTimeNanos();
    jobs.forEach((id, link) -> {
      PacedBucket bucket = buckets.get(LimitScope.job(id));
      synchronized (link.samples()) {
        link.samples().addLast(new long[] {nanos, bucket == null ? 0 : bucket.taken()});
        while (link.samples().size() > 2
            && nanos - link.samples().peekFirst()[0] > RATE_WINDOW_NANOS) {
          link.samples().removeFirst();
        }
      }
    });
  }

  /** The job's limit now (the lowest of its scopes) and its rate over the last 10 s. */
  public Optional<JobView> job(String jobId) {
    JobLink link = jobs.get(jobId);
    if (link == null) {
      return Optional.empty();
    }
    Lowest lowest = lowest(link.scopes());
    double achieved = 0;
    synchronized (link.samples()) {
      if (link.samples().size() >= 2) {
        long[] first = link.samples().peekFirst();
        long[] last = link.samples().peekLast();
        achieved = last[0] == first[0] ? 0
            : (last[1] - first[1]) * 1e9 / (last[0] - first[0]);
      }
    }
    return Optional.of(new JobView(lowest.limit(), lowest.by(), achieved));
  }

  /** Every scope with a schedule, the configured global one included, and its limit now. */
  public List<ScopeView> scopes() {
    Map<LimitScope, BandwidthSchedule> set = schedules.get();
    ZonedDateTime at = ZonedDateTime.now(clock.withZone(zone));
    List<ScopeView> views = new ArrayList<>();
    if (!set.containsKey(LimitScope.GLOBAL)) {
      views.add(new ScopeView(LimitScope.GLOBAL, configuredGlobal, true,
          configuredGlobal.at(at)));
    }
    set.forEach((scope, schedule) -> views.add(new ScopeView(scope, schedule, false,
        schedule.at(at))));
    return views;
  }

  /** The limits in force now, by scope: those of the scopes transfers have used. */
  public Map<LimitScope, OptionalLong> inForce() {
    Map<LimitScope, OptionalLong> now = new java.util.HashMap<>();
    effective.forEach((scope, effect) -> now.put(scope, effect.bytesPerSecond()));
    return now;
  }

  /** Nanoseconds lanes have waited for the buckets since the start. */
  public long waitedNanos() {
    return waitedNanos.sum();
  }

  /** Drops a job that ended: its bucket and samples. */
  public void forgetJob(String jobId) {
    jobs.remove(jobId);
    buckets.remove(LimitScope.job(jobId));
    effective.remove(LimitScope.job(jobId));
  }

  private Map<LimitScope, BandwidthSchedule> current() {
    Map<LimitScope, BandwidthSchedule> set = new java.util.HashMap<>(schedules.get());
    set.putIfAbsent(LimitScope.GLOBAL, configuredGlobal);
    return set;
  }

  private void apply(LimitScope scope, PacedBucket bucket, BandwidthSchedule schedule) {
    BandwidthSchedule.Effective now = schedule == null
        ? new BandwidthSchedule.Effective(OptionalLong.empty(), "no limit set")
        : schedule.at(ZonedDateTime.now(clock.withZone(zone)));
    effective.put(scope, now);
    bucket.setRate(now.bytesPerSecond());
  }
}
