package io.failback.controller;

import static io.failback.controller.LifecycleFixture.diskTasks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.PowerState;
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

/**
 * SIGKILL of the agent's process while a full download writes the on-prem disks: once a new
 * agent process registers the failback fails, the cloud VM runs again, and the journals the
 * killed process left (a torn tail included) put the disks back exactly.
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

    long cancelled = System.nanoTime();
    fixture.controller.server.jobs().cancel(failback.getId());
    Job ended = fixture.awaitState(failback, JobState.JOB_CANCELLED);
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - cancelled);
    assertTrue(seconds <= 30, "the cancel took " + seconds + " s with the agent gone");
    ProtectedItem due = fixture.item();
    assertEquals(ProtectionState.FAILBACK_INCONSISTENT, due.getState(), ended.toString());
    assertTrue(due.getInconsistentReason().contains("rolled back from their undo journals as"
        + " soon as host hv-01 can"), due.getInconsistentReason());
    assertEquals(List.of(), due.getAllowedActionsList());
    assertEquals(PowerState.RUNNING, fixture.controller.server.cloud().get(cloudVm)
        .orElseThrow().state(), "the cloud VM did not run again");

    fixture.agentProcess().start();
    fixture.awaitAgentOnline();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (fixture.item().getState() != ProtectionState.FAILED_OVER) {
      assertTrue(System.nanoTime() < deadline, "the due rollback never ran: " + fixture.item());
      Thread.sleep(50);
    }
    before.assertRolledBack(fixture, null);
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
  void theDisksGoBackOnceTheKilledAgentIsBack() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD);
    awaitWritten(fixture, failback, 8 * MIB);
    fixture.agentProcess().kill();
    assertEquals(PowerState.OFF, fixture.controller.server.cloud().get(cloudVm).orElseThrow()
        .state(), "a full download runs with the cloud VM off");
    // The service manager starts it again: the new process cannot answer what the killed one
    // was asked, so the failback fails, and the new agent rolls the disks back.
    fixture.agentProcess().start();
    Job failed = fixture.awaitState(failback, JobState.JOB_FAILED);
    assertTrue(failed.getErrorsList().stream().anyMatch(e -> e.contains("restarted before"
        + " answering")), failed.toString());
    assertEquals(PowerState.RUNNING, fixture.controller.server.cloud().get(cloudVm)
        .orElseThrow().state(), "the cloud VM did not run again");
    before.assertRolledBack(fixture, failed);
  }
}
