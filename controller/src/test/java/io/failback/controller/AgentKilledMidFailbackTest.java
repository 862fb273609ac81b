package io.failback.controller;

import static io.failback.controller.LifecycleFixture.diskTasks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.BandwidthScope;
import io.failback.proto.v1.BandwidthServiceGrpc;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import io.failback.proto.v1.SetBandwidthLimitRequest;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of the agent's process while a full download writes the on-prem disks: the job waits
 * for the agent and, once a new agent process registers, resumes from the last acknowledged
 * batches and completes by itself. A cancel during the outage, or an agent that stays away past
 * the timeout, ends the job; the journals the killed process left (a torn tail included) then
 * put the disks back exactly once the agent is back.
 */
class AgentKilledMidFailbackTest {
  private static final long MIB = LifecycleFixture.MIB;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aCancelDuringTheOutageEndsTheJobAndTheRollbackIsDoneWhenTheAgentIsBack()
      throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD);
    awaitWritten(fixture, failback, 8 * MIB);
    fixture.agentProcess().kill();

    Job ended = cancelWithinSeconds(fixture, failback);
    ProtectedItem due = fixture.item();
    assertEquals(ProtectionState.FAILBACK_INCONSISTENT, due.getState(), ended.toString());
    assertTrue(due.getInconsistentReason().contains("rolled back from their undo journals as"
        + " soon as host hv-01 can"), due.getInconsistentReason());
    assertEquals(List.of(), due.getAllowedActionsList());
    assertEquals(PowerState.RUNNING, fixture.controller.server.cloud().get(cloudVm)
        .orElseThrow().state(), "the cloud VM did not run again");

    fixture.agentProcess().start();
    fixture.awaitAgentOnline();
    before.awaitRolledBack(fixture, 30);
  }

  /**
   * A hung agent (SIGSTOP: its connections stay open, nothing answers, no heartbeat): the
   * cancel ends the job within seconds; once the agent runs again it finds its streams
   * cancelled, reconnects, and the due rollback puts the disks back.
   */
  @Test
  void aCancelWhileTheAgentHangsEndsTheJobWithinSecondsAndTheRollbackFollows()
      throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    awaitWritten(fixture, failback, 4 * MIB);
    fixture.agentProcess().freeze();

    Job ended = cancelWithinSeconds(fixture, failback);
    assertEquals(ProtectionState.FAILBACK_INCONSISTENT, fixture.item().getState(),
        ended.toString());
    assertEquals(PowerState.RUNNING, fixture.controller.server.cloud().get(cloudVm)
        .orElseThrow().state(), "the cloud VM stopped running");

    fixture.agentProcess().resume();
    before.awaitRolledBack(fixture, 60);
  }

  private static void awaitWritten(LifecycleFixture fixture, Job job, long bytes)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (diskTasks(fixture.controller.server.jobs().get(job.getId())).stream()
        .mapToLong(t -> t.getProgress().getBlocksSent()).sum() * 64 * 1024 < bytes) {
      assertTrue(System.nanoTime() < deadline, "the full download never got going");
      Thread.sleep(5);
    }
  }

  @Test
  void aFullDownloadResumesByItselfOnceTheKilledAgentIsBack() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD);
    awaitWritten(fixture, failback, 8 * MIB);
    fixture.agentProcess().kill();
    long sentBeforeKill = blocksSent(fixture.controller.server.jobs().get(failback.getId()));
    assertEquals(PowerState.OFF, fixture.controller.server.cloud().get(cloudVm).orElseThrow()
        .state(), "a full download runs with the cloud VM off");
    awaitStep(fixture, failback, "waiting for the agent of host hv-01");
    assertEquals(JobState.JOB_RUNNING,
        fixture.controller.server.jobs().get(failback.getId()).getState());

    // The service manager starts it again: the job goes on by itself, nobody re-runs it.
    fixture.agentProcess().start();
    Job done = fixture.awaitState(failback, JobState.JOB_SUCCEEDED);
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("the agent of host hv-01 is back; the sync resumes")), done.toString());
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("full (FULL) verified: whole-disk digests equal on both sides, computed from"
            + " the on-prem bytes")), done.toString());
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    fixture.assertOnPremEqualsCloud(cloudVm);
    FailbackFullDownloadTest.qemuImgCompareVhdx(fixture.onPremDisk(0),
        fixture.controller.server.cloud().get(cloudVm).orElseThrow().disks().get(0).path());
    // Resent at most what was in flight (not acknowledged) when the agent died; each lane of
    // these small disks is one batch, so that is at most what went before the kill, never the
    // whole disk again (768 blocks). The job's progress lags the wire by up to 0.5 s.
    long sent = blocksSent(done);
    // Where no batch had been acknowledged (the agent died with every batch in flight; on a
    // busy machine the whole disk may have gone before the kill), all of it goes again and the
    // job says why: the disk once more on top of what went before the kill.
    boolean fromStart = done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("the sync resumes from the start (no batch had been acknowledged)"));
    // The count before the kill is read after it, while the job's progress still lags the wire:
    // in one full verify under load it read 768 (the whole disk) and the job ended at 1280, so
    // only the bounds that do not depend on that lag are checked.
    assertTrue(sent >= 768 && (fromStart ? sent <= 2 * 768 : sent < 2 * 768), "sent "
        + sent + " blocks, " + sentBeforeKill + " of them before the kill"
        + (fromStart ? ", none acknowledged" : ""));
  }

  /**
   * The agent as the source: killed mid initial replication, its read point is discarded at its
   * next start; the job waits for it instead of failing, and goes on (from the checkpoints in
   * the kept read point where the agent kept one, else comparing checksums) to an exact replica.
   */
  @Test
  void anInitialReplicationGoesOnByItselfOnceTheKilledAgentIsBack() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup);
    for (int disk = 0; disk < 2; disk++) {
      fixture.scribbleOnPrem(disk, 200, 500 + disk); // about 25 MiB to copy
    }
    // About 5 s for them, so that the kill lands mid-copy: unthrottled, a busy machine once
    // reported 4 MiB only after every block had gone, and the lanes had no link left to lose.
    ManagedChannel operator = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    try {
      BandwidthServiceGrpc.newBlockingStub(operator).setBandwidthLimit(SetBandwidthLimitRequest
          .newBuilder().setScope(BandwidthScope.BANDWIDTH_GLOBAL).setSchedule("40Mbit/s")
          .build());
    } finally {
      operator.shutdownNow();
    }
    Job protect = fixture.controller.server.lifecycle().enableProtection(fixture.vmId);
    awaitWritten(fixture, protect, 4 * MIB);
    fixture.agentProcess().kill();
    awaitStep(fixture, protect, "waiting for the agent of host hv-01");
    assertEquals(JobState.JOB_RUNNING,
        fixture.controller.server.jobs().get(protect.getId()).getState());

    fixture.agentProcess().start();
    Job done = fixture.awaitState(protect, JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("the agent of host hv-01 is back; the sync resumes")), done.toString());
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
  }

  @Test
  void anAgentThatDoesNotComeBackInTimeFailsTheJobAndTheDisksGoBackWhenItDoes()
      throws Exception {
    // Nothing restarts the agent before the timeout here, so it can be short.
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup,
        (ControllerFixture controller) -> controller.agentReturnTimeout = Duration.ofSeconds(5));
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD);
    awaitWritten(fixture, failback, 8 * MIB);
    fixture.agentProcess().kill();
    Job failed = fixture.awaitState(failback, JobState.JOB_FAILED, Duration.ofSeconds(60));
    assertTrue(failed.getErrorsList().stream().anyMatch(e -> e.contains("the agent of host"
        + " hv-01 did not come back within 5 s")), failed.toString());
    assertEquals(PowerState.RUNNING, fixture.controller.server.cloud().get(cloudVm)
        .orElseThrow().state(), "the cloud VM did not run again");
    fixture.agentProcess().start();
    fixture.awaitAgentOnline();
    before.awaitRolledBack(fixture, 30);
  }

  private static long blocksSent(Job job) {
    return diskTasks(job).stream().mapToLong(t -> t.getProgress().getBlocksSent()
        + t.getProgress().getBlocksZero()).sum();
  }

  /**
   * Cancels {@code job} and asserts that it ends within 10 s: at most 1 s for the agent's report
   * of a cancelled session and 3 s for a silent host's probe, with room for a loaded machine.
   */
  static Job cancelWithinSeconds(LifecycleFixture fixture, Job job) throws Exception {
    long cancelled = System.nanoTime();
    fixture.controller.server.jobs().cancel(job.getId());
    Job ended = fixture.awaitState(job, JobState.JOB_CANCELLED);
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - cancelled);
    assertTrue(seconds <= 10, "the cancel took " + seconds + " s: " + ended);
    return ended;
  }

  static void awaitStep(LifecycleFixture fixture, Job job, String text)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (fixture.controller.server.jobs().get(job.getId()).getTimelineList().stream()
        .noneMatch(s -> s.getDescription().contains(text))) {
      assertTrue(System.nanoTime() < deadline, "no step '" + text + "': "
          + fixture.controller.server.jobs().get(job.getId()));
      Thread.sleep(20);
    }
  }
}
