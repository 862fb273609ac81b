package io.failback.controller.bandwidth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.sync.Throttle;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Limits are exact over a minute, counted in bytes on a fake clock: the lanes take frames as
 * fast as they can and the clock moves only while a bucket makes them wait.
 */
class BandwidthLimitsTest {
  private static final ZoneId ZONE = ZoneId.of("Europe/Berlin");
  /** A 64 KiB block frame with its header, as a lane sends it. */
  private static final int FRAME = 65_536 + 40;
  private static final long MBIT_100 = 12_500_000;

  private final Map<LimitScope, BandwidthSchedule> set = new ConcurrentHashMap<>();
  // Monday 2026-12-07, 17:59 in Berlin.
  private final FakeTime time = new FakeTime(Instant.parse("2026-12-07T16:59:00Z"), ZONE);

  private BandwidthLimits limits(String configuredGlobal) {
    return new BandwidthLimits(() -> Map.copyOf(set), BandwidthSchedule.parse(configuredGlobal),
        time, ZONE, time, time);
  }

  /** Sends frames through each throttle in turn for {@code seconds}; returns bytes sent. */
  private long[] run(BandwidthLimits limits, double seconds, Throttle... lanes)
      throws InterruptedException {
    long[] sent = new long[lanes.length];
    double end = time.seconds() + seconds;
    double nextRefresh = Math.floor(time.seconds()) + 1;
    for (int frames = 0; time.seconds() < end; frames++) {
      // Without a working limit the clock never moves: fail instead of spinning.
      assertTrue(frames < 2_000_000, "the clock did not move: nothing waited");
      for (int i = 0; i < lanes.length; i++) {
        lanes[i].take(FRAME);
        sent[i] += FRAME;
      }
      if (time.seconds() >= nextRefresh) {
        limits.refresh();
        nextRefresh = Math.floor(time.seconds()) + 1;
      }
    }
    return sent;
  }

  private static void assertRate(long expectedBytesPerSecond, double bytes, double seconds) {
    double rate = bytes / seconds;
    assertTrue(Math.abs(rate - expectedBytesPerSecond) <= 0.05 * expectedBytesPerSecond,
        "rate " + rate + " B/s, expected " + expectedBytesPerSecond + " within 5 %");
  }

  @Test
  void aHostLimitHoldsWithin5PercentOverAMinuteAcrossItsLanes() throws Exception {
    set.put(LimitScope.host("HV-01"), BandwidthSchedule.parse("100Mbit/s"));
    BandwidthLimits limits = limits("unlimited");
    Throttle lane0 = limits.throttleFor("hv-01", "job-a", "");
    Throttle lane1 = limits.throttleFor("hv-01", "job-b", "");
    double start = time.seconds();
    long[] sent = run(limits, 60, lane0, lane1);
    assertRate(MBIT_100, sent[0] + sent[1], time.seconds() - start);
    // Shared fairly by two lanes taking in turn.
    assertEquals(sent[0], sent[1]);
  }

  @Test
  void theLowestScopeDecidesAndTheJobSaysWhich() throws Exception {
    set.put(LimitScope.GLOBAL, BandwidthSchedule.parse("1Gbit/s"));
    set.put(LimitScope.host("hv-01"), BandwidthSchedule.parse("200Mbit/s"));
    set.put(LimitScope.plan("web"), BandwidthSchedule.parse("100Mbit/s"));
    BandwidthLimits limits = limits("unlimited");
    Throttle lane = limits.throttleFor("hv-01", "job-a", "web");
    double start = time.seconds();
    long[] sent = run(limits, 60, lane);
    assertRate(MBIT_100, sent[0], time.seconds() - start);
    BandwidthLimits.JobView view = limits.job("job-a").orElseThrow();
    assertEquals(OptionalLong.of(MBIT_100), view.limitBytesPerSecond());
    assertEquals("recovery plan web (always)", view.limitedBy());
    assertRate(MBIT_100, view.achievedBytesPerSecond(), 1);
    // Another host's transfer only shares the global limit.
    Throttle other = limits.throttleFor("hv-02", "", "");
    start = time.seconds();
    sent = run(limits, 60, other);
    assertRate(125_000_000, sent[0], time.seconds() - start);
  }

  @Test
  void aLimitChangedWhileTheJobRunsHoldsFromTheNextSecond() throws Exception {
    BandwidthLimits limits = limits("unlimited");
    set.put(LimitScope.job("job-a"), BandwidthSchedule.parse("100Mbit/s"));
    limits.refresh();
    Throttle lane = limits.throttleFor("hv-01", "job-a", "");
    double start = time.seconds();
    long before = run(limits, 60, lane)[0];
    assertRate(MBIT_100, before, time.seconds() - start);
    set.put(LimitScope.job("job-a"), BandwidthSchedule.parse("50Mbit/s"));
    limits.refresh();
    start = time.seconds();
    long after = run(limits, 60, lane)[0];
    assertRate(MBIT_100 / 2, after, time.seconds() - start);
    assertEquals("job job-a (always)", limits.job("job-a").orElseThrow().limitedBy());
    limits.forgetJob("job-a");
    assertTrue(limits.job("job-a").isEmpty());
  }

  @Test
  void theConfiguredWindowEndsAt18LocalAndTheNightIsFaster() throws Exception {
    // 17:59 local: one minute of the day window, then the evening's rate.
    BandwidthLimits limits = limits("Mon-Fri 08:00-18:00=100Mbit/s, 400Mbit/s");
    Throttle lane = limits.throttleFor("hv-01", "job-a", "");
    assertEquals("global (Mon-Fri 08:00-18:00)", limits.job("job-a").orElseThrow().limitedBy());
    double start = time.seconds();
    long day = run(limits, 60, lane)[0];
    assertRate(MBIT_100, day, time.seconds() - start);
    start = time.seconds();
    long night = run(limits, 60, lane)[0];
    assertRate(4 * MBIT_100, night, time.seconds() - start);
    assertEquals("global (outside its windows)", limits.job("job-a").orElseThrow().limitedBy());
  }

  @Test
  void aLimitSetAtRunTimeReplacesTheConfiguredGlobalOne() {
    BandwidthLimits limits = limits("100Mbit/s");
    List<BandwidthLimits.ScopeView> configured = limits.scopes();
    assertEquals(1, configured.size());
    assertTrue(configured.get(0).configured());
    set.put(LimitScope.GLOBAL, BandwidthSchedule.parse("unlimited"));
    limits.refresh();
    List<BandwidthLimits.ScopeView> set = limits.scopes();
    assertEquals(1, set.size());
    assertEquals(OptionalLong.empty(), set.get(0).now().bytesPerSecond());
    limits.throttleFor("hv-01", "job-a", "");
    assertEquals(OptionalLong.empty(), limits.job("job-a").orElseThrow().limitBytesPerSecond());
  }

  @Test
  void withoutLimitsNothingWaits() throws Exception {
    BandwidthLimits limits = limits("unlimited");
    Throttle lane = limits.throttleFor("hv-01", "job-a", "");
    for (int i = 0; i < 10_000; i++) {
      lane.take(FRAME);
    }
    assertEquals(0, time.currentTimeNanos());
    time.advance(TimeUnit.SECONDS.toNanos(1));
    limits.refresh();
    assertEquals("no limit", limits.job("job-a").orElseThrow().limitedBy());
  }
}
