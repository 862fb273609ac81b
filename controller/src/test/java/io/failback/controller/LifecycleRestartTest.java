package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.CloudVm;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.IllegalTransitionException;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A controller restart on the same state directory, with the agent reconnecting by itself. */
class LifecycleRestartTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aFailbackWaitingForCompleteFailoverWaitsAgainAfterARestartAndCompletes() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    String cloudVm = fixture.failedOver();
    fixture.controller.server.cloud().guest(cloudVm).scribble(0, 30, 61);
    Job failback = fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(failback, JobState.JOB_WAITING);
    assertEquals(ProtectionState.FAILBACK_SYNCED, fixture.item().getState());
    String trackingPoint = fixture.item().getFailoverBaseline().getCloudTrackingPoint();
    List<String> phaseOneSnapshot = fixture.controller.server.cloud().snapshots(cloudVm)
        .stream().filter(id -> !id.equals(trackingPoint)).toList();
    assertEquals(1, phaseOneSnapshot.size(), phaseOneSnapshot.toString());
    // Three whole blocks written after phase 1's snapshot, before the restart.
    byte[] block = new byte[64 << 10];
    for (int i = 0; i < 3; i++) {
      java.util.Arrays.fill(block, (byte) (i + 1));
      fixture.controller.server.cloud().guest(cloudVm).write(0, (100L + 7 * i) << 16, block);
    }

    restart(fixture);

    // The job goes on: phase 1 again, tracked from the snapshot phase 1 had sent (both digest
    // sets record it), so only the three blocks travel; then it waits.
    Job waiting = awaitResumedAndWaiting(fixture, failback.getId());
    assertEquals(1, waiting.getResume().getResumed());
    assertEquals(List.of("CompleteFailover", "CancelJob"), waiting.getAllowedActionsList());
    assertEquals(ProtectionState.FAILBACK_SYNCED, fixture.item().getState());
    assertEquals(failback.getId(), fixture.item().getActiveJobId());
    assertTrue(waiting.getTimelineList().stream().anyMatch(s -> s.getDescription().equals(
        "phase 1 sends only the 3 blocks the cloud VM wrote since snapshot "
            + phaseOneSnapshot.get(0) + " (phase 1 before the restart); the verify pass"
            + " re-reads every on-prem block later")), waiting::toString);
    List<String> tracked = phaseSteps(waiting, "p1 (TRACKED) verified");
    assertTrue(tracked.get(tracked.size() - 1).contains("3 blocks scanned, 3 sent"),
        "a resumed phase 1 sends only what the cloud VM wrote since: " + tracked);
    List<String> kept = fixture.controller.server.cloud().snapshots(cloudVm);
    assertEquals(2, kept.size(), kept.toString());
    assertTrue(kept.contains(trackingPoint) && !kept.contains(phaseOneSnapshot.get(0)),
        kept.toString());
    assertEquals(PowerState.RUNNING, cloudVm(fixture, cloudVm).state());

    // The cloud VM ran on through the restart and keeps writing; phase 2 picks it all up.
    fixture.controller.server.cloud().guest(cloudVm).scribble(1, 20, 62);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    assertEquals("", fixture.item().getInconsistentReason());
    assertEquals("", fixture.agentVm().getInconsistentReason());
    assertEquals(io.failback.proto.v1.PowerState.RUNNING, fixture.onPremVm().getPowerState());
    fixture.assertOnPremEqualsCloud(cloudVm);
    assertEquals(List.of(), fixture.controller.server.cloud().snapshots(cloudVm),
        "a snapshot of the run the restart cut short is still kept");
    LifecycleFixture.diskTasks(done).forEach(
        t -> assertEquals(t.getSourceDigest(), t.getTargetDigest(), t.toString()));
  }

  /** Waits until a restarted controller continued the job and it waits for the operator. */
  static Job awaitResumedAndWaiting(LifecycleFixture fixture, String jobId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Job job = fixture.controller.server.jobs().get(jobId);
      if (job.getState() == JobState.JOB_WAITING && job.getResume().getResumed() > 0) {
        return job;
      }
      assertFalse(List.of(JobState.JOB_SUCCEEDED, JobState.JOB_FAILED, JobState.JOB_CANCELLED)
          .contains(job.getState()), job.toString());
      assertTrue(System.nanoTime() < deadline, "not continued: " + job);
      Thread.sleep(50);
    }
  }

  static List<String> phaseSteps(Job job, String prefix) {
    return job.getTimelineList().stream().map(s -> s.getDescription())
        .filter(d -> d.startsWith(prefix)).toList();
  }

  @Test
  void restartWhileProtectedKeepsTheItemAndItsReplica() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle before = fixture.controller.server.lifecycle();
    fixture.awaitState(before.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    ProtectedItem protectedItem = fixture.item();
    String cloudVm = protectedItem.getCloudVmId();

    restart(fixture);

    assertEquals(protectedItem, fixture.item(), "a restart changes nothing about the item");
    assertEquals(PowerState.OFF, cloudVm(fixture, cloudVm).state());
    fixture.assertOnPremEqualsCloud(cloudVm);
    // And protection goes on: a delta cycle carries new writes into the same replica.
    fixture.scribbleOnPrem(0, 12, 63);
    fixture.controller.server.lifecycle().replicateNow(fixture.vmId);
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(fixture.onPremBytes(i), fixture.cloudBytes(cloudVm, i));
    }
    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
  }

  @Test
  void aFullDownloadCutByARestartGoesOnOnceTheAgentIsBackSendingOnlyWhatIsMissing()
      throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = behindProxy(proxy);
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 20L * LifecycleFixture.MIB);
    Job failback = fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "the download never got going");
    assertEquals(PowerState.OFF, cloudVm(fixture, cloudVm).state());

    restartController(fixture);
    // The job goes on, not failed: the cloud VM stays off, the on-prem one fenced.
    Job continued = fixture.controller.server.jobs().get(failback.getId());
    assertEquals(JobState.JOB_RUNNING, continued.getState(), continued.toString());
    assertTrue(continued.getResume().containsSourceStoppedAt(fixture.item().getVmId()),
        continued.toString());
    assertEquals(PowerState.OFF, cloudVm(fixture, cloudVm).state());
    assertEquals(ProtectionState.FAILING_BACK, fixture.item().getState());

    proxy[0].resume();
    Job done = fixture.awaitState(continued, JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    fixture.assertOnPremEqualsCloud(cloudVm);
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "goes on as a checksum pass")), done.toString());
    // What reached the agent before the cut is compared, not sent again.
    String resumed = phaseSteps(done, "full (DELTA) verified").get(0);
    long scanned = count(resumed, "blocks scanned");
    long sent = count(resumed, "sent");
    assertTrue(sent < scanned, resumed);
    // The downtime spans the restart: it is measured from the first run's stop.
    long stoppedAt = com.google.protobuf.util.Timestamps.toMillis(
        continued.getResume().getSourceStoppedAtOrThrow(fixture.item().getVmId()));
    String off = "cloud VM off since " + java.time.Instant.ofEpochMilli(stoppedAt);
    assertTrue(done.getTimelineList().stream().anyMatch(
        s -> s.getDescription().startsWith(off)), off + " not in " + done);
  }

  /**
   * Phase 1 cut by a restart after a planned failover: the resumed phase 1 is tracked again
   * and sends every block the cloud VM wrote, those that reached the host before the cut
   * among them (both digest sets record them), rather than reading both sides' disks whole.
   */
  @Test
  void phaseOneCutByARestartIsTrackedAgainAndSendsEveryWrittenBlock() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = behindProxy(proxy);
    String cloudVm = fixture.failedOver();
    byte[] chunk = new byte[LifecycleFixture.MIB];
    java.util.Random random = new java.util.Random(64);
    for (int mib = 0; mib < 24; mib++) {
      random.nextBytes(chunk);
      fixture.controller.server.cloud().guest(cloudVm).write(0, (long) mib << 20, chunk);
    }
    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 10L * LifecycleFixture.MIB);
    Job failback = fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "phase 1 never got going");
    assertEquals(ProtectionState.FAILING_BACK, fixture.item().getState());

    restartController(fixture);
    proxy[0].resume();
    Job waiting = awaitResumedAndWaiting(fixture, failback.getId());
    List<String> runs = phaseSteps(waiting, "p1 (TRACKED) verified");
    assertTrue(runs.get(runs.size() - 1).contains("384 blocks scanned, 384 sent"),
        runs.toString());
    // The cut run's snapshot is no use to it: released, not kept preserving guest overwrites.
    assertTrue(waiting.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "left by an interrupted earlier run")), waiting::toString);
    Job done = fixture.awaitState(fixture.controller.server.lifecycle().completeFailover(
        failback.getId()), JobState.JOB_SUCCEEDED);
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "nothing had changed since phase 1")), done.toString());
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  @Test
  void phaseTwoCutByARestartGoesOnWithTheCloudVmOffAndResendsNothingTheHostHas()
      throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = behindProxy(proxy);
    String cloudVm = fixture.failedOver();
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(failback, JobState.JOB_WAITING);
    // Everything changes after the snapshot: phase 2 has every block to send.
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 20L * LifecycleFixture.MIB);
    lifecycle.completeFailover(failback.getId());
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "phase 2 never got going");
    assertEquals(ProtectionState.FAILBACK_COMPLETING, fixture.item().getState());

    restartController(fixture);
    Job continued = fixture.controller.server.jobs().get(failback.getId());
    assertEquals(JobState.JOB_RUNNING, continued.getState(), continued.toString());
    assertTrue(continued.getResume().getCompletionRequested(), continued.toString());
    assertEquals(PowerState.OFF, cloudVm(fixture, cloudVm).state(), "two live copies");

    proxy[0].resume();
    Job done = fixture.awaitState(continued, JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    fixture.assertOnPremEqualsCloud(cloudVm);
    assertEquals(List.of(), fixture.controller.server.cloud().snapshots(cloudVm));
    // No second wait for CompleteFailover, no second phase 1.
    assertEquals(1, phaseSteps(done, "p1 (").size(), done.toString());
    String resumed = phaseSteps(done, "p2 (DELTA) verified").get(0);
    long scanned = count(resumed, "blocks scanned");
    long sent = count(resumed, "sent");
    assertTrue(sent < scanned, "what reached the host before the cut is not sent again: "
        + resumed);
    LifecycleFixture.diskTasks(done).forEach(
        t -> assertEquals(t.getSourceDigest(), t.getTargetDigest(), t.toString()));
  }

  @Test
  void anInitialReplicationCutByARestartGoesOnIntoTheSameCloudVm() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = behindProxy(proxy);
    for (int disk = 0; disk < 2; disk++) {
      fixture.scribbleOnPrem(disk, 200, 300 + disk); // about 25 MiB to copy
    }
    proxy[0].arm(PausingProxy.Direction.TO_CONTROLLER, 8L * LifecycleFixture.MIB);
    Job protect = fixture.controller.server.lifecycle().enableProtection(fixture.vmId);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "the copy never got going");
    String made = fixture.controller.server.jobs().get(protect.getId()).getResume()
        .getCloudVmIdsOrThrow(fixture.item().getVmId());

    restartController(fixture);
    Job continued = fixture.controller.server.jobs().get(protect.getId());
    assertEquals(JobState.JOB_RUNNING, continued.getState(), continued.toString());
    assertEquals(ProtectionState.INITIAL_REPLICATION, fixture.item().getState());

    proxy[0].resume();
    Job done = fixture.awaitState(continued, JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
    assertEquals(made, fixture.item().getCloudVmId(), "a second cloud VM was made");
    assertEquals(1, fixture.controller.server.cloud().list().size(), "a replica was left over");
    fixture.assertOnPremEqualsCloud(made);
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "continued: blocks already copied are not sent again")), done.toString());
    // Cut before any batch was durable (no checkpoint): the continued pass found what had
    // reached the cloud and did not send it again.
    long equal = LifecycleFixture.diskTasks(done).stream()
        .mapToLong(t -> t.getProgress().getBlocksEqual()).sum();
    long sent = LifecycleFixture.diskTasks(done).stream()
        .mapToLong(t -> t.getProgress().getBlocksSent()).sum();
    assertTrue(equal > 0 && sent < 480, equal + " blocks found copied, " + sent + " sent");
  }

  @Test
  void aFailoverToTheCloudCutByARestartStartsTheCloudVmOnceTheFinalDeltaIsIn() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = behindProxy(proxy);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    for (int disk = 0; disk < 2; disk++) {
      fixture.scribbleOnPrem(disk, 200, 400 + disk); // the final delta has about 25 MiB
    }
    proxy[0].arm(PausingProxy.Direction.TO_CONTROLLER, 8L * LifecycleFixture.MIB);
    Job failover = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "the final delta never began");
    assertEquals(ProtectionState.FAILING_OVER, fixture.item().getState());

    restartController(fixture);
    Job continued = fixture.controller.server.jobs().get(failover.getId());
    assertEquals(JobState.JOB_RUNNING, continued.getState(), continued.toString());
    assertEquals(PowerState.OFF, cloudVm(fixture, cloudVm).state(), "two live copies");

    proxy[0].resume();
    Job done = fixture.awaitState(continued, JobState.JOB_SUCCEEDED);
    assertEquals(1, done.getResume().getResumed());
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().startsWith(
        "continuing after a controller restart: the on-prem VM stops")), done.toString());
    assertEquals(ProtectionState.FAILED_OVER_COMMIT_PENDING, fixture.item().getState());
    assertEquals(PowerState.RUNNING, cloudVm(fixture, cloudVm).state());
    assertEquals(io.failback.proto.v1.PowerState.OFF, fixture.onPremVm().getPowerState());
    fixture.controller.server.cloud().shutdown(cloudVm); // to compare a quiet disk
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /** A fixture whose agent reaches the controller through a proxy that can pause it. */
  private LifecycleFixture behindProxy(PausingProxy[] proxy) throws Exception {
    return new LifecycleFixture(dir, cleanup, PausingProxy.into(proxy, cleanup));
  }

  /** The number before {@code what} in a phase's step, e.g. "1536 blocks scanned". */
  private static long count(String step, String what) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) " + what).matcher(step);
    assertTrue(m.find(), what + " not in " + step);
    return Long.parseLong(m.group(1));
  }

  private static void restart(LifecycleFixture fixture) throws Exception {
    restartController(fixture);
    fixture.awaitAgentOnline();
  }

  private static void restartController(LifecycleFixture fixture) throws Exception {
    fixture.controller.restart();
  }

  /**
   * A failback that failed just as the controller stopped may leave its rollback due with the
   * cloud VM off (phase 2 or a full download had stopped it): the restart runs it again at
   * once, while the on-prem VM stays fenced until its host rolls the disks back.
   */
  @Test
  void restartWithARollbackDueRunsTheCloudVmAgainAtOnce() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    String cloudVm = fixture.failedOver();
    fixture.agent.close();
    fixture.controller.server.cloud().shutdown(cloudVm);
    // As a failback that failed while its host did not answer leaves the item.
    fixture.controller.server.protectedItems().transition(fixture.vmId,
        ProtectionState.FAILED_OVER, ProtectionState.FAILING_BACK, b -> { });
    fixture.controller.server.protectedItems().transition(fixture.vmId,
        ProtectionState.FAILING_BACK, ProtectionState.FAILBACK_INCONSISTENT,
        b -> b.setUndoJournal("failback-test").setInconsistentReason("failed as the"
            + " controller stopped; rolled back as soon as host hv-01 answers"));
    assertEquals(PowerState.OFF, cloudVm(fixture, cloudVm).state());

    restartController(fixture);
    assertEquals(PowerState.RUNNING, cloudVm(fixture, cloudVm).state(),
        "neither copy runs after the restart");
    assertEquals(ProtectionState.FAILBACK_INCONSISTENT, fixture.item().getState(),
        "still fenced on-prem until the host rolls back");
  }

  private static CloudVm cloudVm(LifecycleFixture fixture, String id) throws Exception {
    return fixture.controller.server.cloud().get(id).orElseThrow(
        () -> new AssertionError("cloud VM " + id + " is gone"));
  }
}
