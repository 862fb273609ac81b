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
import java.nio.file.Path;
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
  void theDisksGoBackOnceTheKilledAgentIsBack() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.FULL_DOWNLOAD);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (diskTasks(fixture.controller.server.jobs().get(failback.getId())).stream()
        .mapToLong(t -> t.getProgress().getBlocksSent()).sum() * 64 * 1024 < 8 * MIB) {
      assertTrue(System.nanoTime() < deadline, "the full download never got going");
      Thread.sleep(5);
    }
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
