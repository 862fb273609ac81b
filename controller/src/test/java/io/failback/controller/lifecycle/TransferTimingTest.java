package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.failback.common.sync.SyncActivity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A transfer's time, split the way predictions add it up again; and what Timings keeps. */
class TransferTimingTest {
  private static final long MS = 1_000_000;
  private static final long MIB = 1 << 20;

  /**
   * 100 ms to set up, 500 ms of checksums, 150 ms of sending 30 MiB, 150 ms to verify: 900 ms.
   * The old "link rate" was 30 MiB over 900 ms; the lanes sent at 200 MiB/s.
   */
  private static final TransferTiming PHASE_ONE = new TransferTiming(900 * MS, 100 * MS,
      new SyncActivity.Snapshot(500 * MS, 150 * MS, 100 * MS, 750 * MS, 30 * MIB),
      100 * MIB, true, false);

  @Test
  void theLinkRateIsMeasuredOnTheSendingAloneNeverOverHashingTime() {
    assertEquals(200.0 * MIB, PHASE_ONE.sendRate().getAsDouble(), 1e-6);
    assertEquals(200.0 * MIB, PHASE_ONE.checksumRate().getAsDouble(), 1e-6);
    assertEquals(Duration.ofMillis(250), PHASE_ONE.fixedCost());
    // Adding the parts up again gives the transfer's own duration.
    double seconds = PHASE_ONE.fixedCost().toNanos() / 1e9
        + 100.0 * MIB / PHASE_ONE.checksumRate().getAsDouble()
        + 30.0 * MIB / PHASE_ONE.sendRate().getAsDouble();
    assertEquals(0.9, seconds, 1e-9);
  }

  @Test
  void tooLittleSentIsNoRateAndATrackedTransferHasNoChecksumPass() {
    TransferTiming small = new TransferTiming(300 * MS, 100 * MS,
        new SyncActivity.Snapshot(0, 10 * MS, 100 * MS, 110 * MS, MIB - 1), 0, false, true);
    assertFalse(small.sendRate().isPresent());
    assertFalse(small.checksumRate().isPresent());
    assertEquals(Duration.ofMillis(290), small.fixedCost());
  }

  @Test
  void phaseTwoIsPredictedFromTheLastPhaseTwoElseFromPhaseOnesSendingAndSetUp() {
    Timings timings = new Timings();
    assertFalse(timings.phaseTwo("hv-01").isPresent());
    timings.transfer("HV-01", PHASE_ONE);
    Timings.PhaseTwo guessed = timings.phaseTwo("hv-01").orElseThrow();
    assertEquals(200.0 * MIB, guessed.rate(), 1e-6);
    assertEquals(Duration.ofMillis(250), guessed.fixedCost(), "phase 1's, errs long");
    assertFalse(guessed.fromPhaseTwo());
    assertEquals(Duration.ofMillis(250), timings.fixedCost("hv-01").orElseThrow());

    // A phase 2: 10 MiB from the first block read to the last one durable, in 500 ms.
    timings.transfer("hv-01", new TransferTiming(620 * MS, 50 * MS,
        new SyncActivity.Snapshot(0, 40 * MS, 50 * MS, 550 * MS, 10 * MIB), 0, false, true));
    Timings.PhaseTwo measured = timings.phaseTwo("hv-01").orElseThrow();
    assertEquals(20.0 * MIB, measured.rate(), 1e-6);
    assertEquals(Duration.ofMillis(120), measured.fixedCost());
    assertEquals(250.0 * MIB, timings.sendRate("hv-01").getAsDouble(), 1e-6);
    // A pass without a checksum leaves the checksum rate as it was measured.
    assertEquals(200.0 * MIB, timings.checksumRate("hv-01").getAsDouble(), 1e-6);
    assertFalse(timings.sendRate("hv-02").isPresent());
  }

  @Test
  void aSitesStopStandsInForItsStartUntilOneIsMeasured() {
    Timings timings = new Timings();
    assertFalse(timings.power("hv-01", Timings.Power.START).isPresent());
    timings.power("hv-01", Timings.Power.STOP, Duration.ofMillis(700));
    assertEquals(Duration.ofMillis(700), timings.power("HV-01", Timings.Power.START)
        .orElseThrow());
    timings.power("hv-01", Timings.Power.START, Duration.ofMillis(300));
    assertEquals(Duration.ofMillis(300), timings.power("hv-01", Timings.Power.START)
        .orElseThrow());
  }

  /** A cloud stop is a guest's shutdown: the same guests' stop on-prem stands in first. */
  @Test
  void theCloudVmsStopStandsInNamedUntilTheCloudStoppedOne() {
    Timings timings = new Timings();
    List<String> named = new ArrayList<>();
    assertEquals(FailbackCosts.DEFAULT_POWER_CHANGE,
        FailbackCosts.cloudStop(timings, "hv-01", named));
    assertEquals(List.of("cloud VM stop"), named);
    timings.power(Timings.CLOUD, Timings.Power.START, Duration.ofMillis(400));
    named.clear();
    assertEquals(Duration.ofMillis(400), FailbackCosts.cloudStop(timings, "hv-01", named));
    assertEquals(List.of("cloud VM stop (taken as its start; a guest's shutdown may take"
        + " longer)"), named);
    timings.power("hv-01", Timings.Power.STOP, Duration.ofMillis(1700));
    named.clear();
    assertEquals(Duration.ofMillis(1700), FailbackCosts.cloudStop(timings, "HV-01", named));
    assertEquals(List.of("cloud VM stop (taken as the VMs' stop on HV-01)"), named);
    // Another host's stop says nothing of this failback's.
    named.clear();
    assertEquals(Duration.ofMillis(400), FailbackCosts.cloudStop(timings, "hv-02", named));
    timings.power(Timings.CLOUD, Timings.Power.STOP, Duration.ofMillis(2100));
    named.clear();
    assertEquals(Duration.ofMillis(2100), FailbackCosts.cloudStop(timings, "hv-01", named));
    assertEquals(List.of(), named);
  }

  @Test
  void theLinkSetThePaceWhenTheLanesWaitedForItHalfTheSendingTimeAndTimingsKeepWhichItWas() {
    TransferTiming waited = new TransferTiming(900 * MS, 100 * MS,
        new SyncActivity.Snapshot(0, 400 * MS, 100 * MS, 500 * MS, 30 * MIB, 200 * MS), 0,
        false, false);
    TransferTiming busy = new TransferTiming(900 * MS, 100 * MS,
        new SyncActivity.Snapshot(0, 400 * MS, 100 * MS, 500 * MS, 30 * MIB, 199 * MS), 0,
        false, false);
    assertEquals(true, waited.linkBound());
    assertFalse(busy.linkBound());
    assertFalse(PHASE_ONE.linkBound(), "nothing waited for");
    // The same waits behind an agent whose lanes seldom waited for a frame (its disks slower
    // than the link): the agent held the lanes back, not the link.
    SyncActivity.Snapshot lanes = waited.activity();
    assertFalse(new TransferTiming(900 * MS, 100 * MS, lanes.withTarget(100 * MS, 800 * MS), 0,
        false, false).linkBound());
    assertEquals(true, new TransferTiming(900 * MS, 100 * MS,
        lanes.withTarget(400 * MS, 800 * MS), 0, false, false).linkBound());
    // The same waits with either machine's CPUs saturated: the CPUs set the pace, and the
    // rate kept says so.
    TransferTiming saturated = new TransferTiming(900 * MS, 100 * MS, lanes, 0, false, false,
        new BusyCpus(java.util.OptionalDouble.of(0.93), java.util.OptionalDouble.of(0.5)));
    assertFalse(saturated.linkBound());
    assertEquals(true, new TransferTiming(900 * MS, 100 * MS, lanes, 0, false, false,
        new BusyCpus(java.util.OptionalDouble.of(0.89), java.util.OptionalDouble.of(0.5)))
        .linkBound());
    Timings busyCpus = new Timings();
    busyCpus.transfer("hv-01", saturated);
    assertEquals("the CPUs were busy (the controller's machine 93 %, the agent's 50 %)",
        busyCpus.link("hv-01").orElseThrow().cpusBusy());
    // Lanes that did not wait for the link: the CPUs are no reason worth naming.
    busyCpus.transfer("hv-01", new TransferTiming(900 * MS, 100 * MS, busy.activity(), 0,
        false, false, saturated.cpus()));
    assertEquals("", busyCpus.link("hv-01").orElseThrow().cpusBusy());

    Timings timings = new Timings();
    assertFalse(timings.link("hv-01").isPresent());
    timings.transfer("hv-01", waited);
    assertEquals(true, timings.link("HV-01").orElseThrow().linkBound());
    assertEquals(75.0 * MIB, timings.link("hv-01").orElseThrow().bytesPerSecond(), 1e-6);
    timings.transfer("hv-01", busy);
    assertFalse(timings.link("hv-01").orElseThrow().linkBound(), "the latest counts");
  }

  @Test
  void aLaneWaitingForTheLinkAddsToTheActivity() {
    long[] now = {0};
    SyncActivity activity = new SyncActivity(() -> now[0]);
    activity.begin(SyncActivity.Kind.SEND);
    activity.waitedForLink(30 * MS);
    activity.waitedForLink(20 * MS);
    now[0] = 100 * MS;
    activity.end(SyncActivity.Kind.SEND, MIB);
    assertEquals(50 * MS, activity.snapshot().linkWaitNanos());
  }
}
