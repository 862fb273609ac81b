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
  void restartWhileTheFailbackWaitsRollsTheDisksBackOnceTheAgentIsBackAndTheRerunCompletes()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    String cloudVm = fixture.failedOver();
    fixture.controller.server.cloud().guest(cloudVm).scribble(0, 30, 61);
    byte[][] before = {fixture.onPremBytes(0), fixture.onPremBytes(1)};
    Job failback = fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(failback, JobState.JOB_WAITING);
    assertEquals(ProtectionState.FAILBACK_SYNCED, fixture.item().getState());

    restart(fixture);

    Job failed = fixture.controller.server.jobs().get(failback.getId());
    assertEquals(JobState.JOB_FAILED, failed.getState(), failed.toString());
    assertTrue(failed.getErrorsList().stream().anyMatch(e -> e.contains("controller restarted")),
        failed.toString());
    assertTrue(failed.getAllowedActionsList().isEmpty(), failed.toString());
    // The due rollback runs at the next sweep with the agent online.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (fixture.item().getState() != ProtectionState.FAILED_OVER) {
      ProtectedItem due = fixture.item();
      assertEquals(ProtectionState.FAILBACK_INCONSISTENT, due.getState());
      assertTrue(due.getInconsistentReason().contains("rolled back from their undo journals as"
          + " soon as host hv-01 answers"), due.getInconsistentReason());
      assertEquals(List.of(), due.getAllowedActionsList(), "a re-run may not race the rollback");
      assertTrue(System.nanoTime() < deadline, "the due rollback never ran");
      Thread.sleep(50);
    }
    ProtectedItem item = fixture.item();
    assertEquals("", item.getInconsistentReason());
    assertEquals("", item.getUndoJournal());
    assertEquals("", item.getActiveJobId());
    assertEquals(List.of("PlannedFailover"), item.getAllowedActionsList());
    assertEquals("", fixture.agentVm().getInconsistentReason());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(before[i], fixture.onPremBytes(i), "disk " + i + " is not as before");
    }
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    IllegalTransitionException stale = assertThrows(IllegalTransitionException.class,
        () -> lifecycle.completeFailover(failback.getId()));
    assertTrue(stale.getMessage().contains("JOB_FAILED"), stale.getMessage());

    // The cloud VM ran on through the restart and keeps writing; the re-run picks it all up.
    assertEquals(PowerState.RUNNING, cloudVm(fixture, cloudVm).state());
    fixture.controller.server.cloud().guest(cloudVm).scribble(1, 20, 62);
    Job rerun = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(rerun, JobState.JOB_WAITING);
    Job done = fixture.awaitState(lifecycle.completeFailover(rerun.getId()),
        JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    assertEquals("", fixture.item().getInconsistentReason());
    assertEquals("", fixture.agentVm().getInconsistentReason());
    assertEquals(io.failback.proto.v1.PowerState.RUNNING, fixture.onPremVm().getPowerState());
    fixture.assertOnPremEqualsCloud(cloudVm);
    assertEquals(List.of(), fixture.controller.server.cloud().snapshots(cloudVm),
        "the snapshot of the run the restart cut short is still kept");
    assertTrue(done.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "left by an interrupted earlier run")), done.toString());
    LifecycleFixture.diskTasks(done).forEach(
        t -> assertEquals(t.getSourceDigest(), t.getTargetDigest(), t.toString()));
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

  /** Stops the controller and starts it again on the same port and state directory. */
  @Test
  void restartDuringAFullDownloadRunsTheCloudVmAgainAtOnceThenRollsBack() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> {
      proxy[0] = cleanup.register(PausingProxy.before(port));
      return "localhost:" + proxy[0].port();
    });
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));
    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 20L * LifecycleFixture.MIB);
    Job failback = fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "the download never got going");
    assertEquals(PowerState.OFF, cloudVm(fixture, cloudVm).state());

    restartController(fixture);
    // Before any agent is back: the on-prem VM is fenced, so the cloud VM runs again.
    assertEquals(PowerState.RUNNING, cloudVm(fixture, cloudVm).state(),
        "neither copy runs after the restart");
    assertEquals(JobState.JOB_FAILED, fixture.controller.server.jobs().get(failback.getId())
        .getState());
    proxy[0].resume();
    fixture.awaitAgentOnline();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (fixture.item().getState() != ProtectionState.FAILED_OVER) {
      assertTrue(System.nanoTime() < deadline, "the due rollback never ran: " + fixture.item());
      Thread.sleep(50);
    }
    before.assertRolledBack(fixture, null);
  }

  private static void restart(LifecycleFixture fixture) throws Exception {
    restartController(fixture);
    fixture.awaitAgentOnline();
  }

  /** Stops the controller and starts it again on the same port, without waiting for agents. */
  private static void restartController(LifecycleFixture fixture) throws Exception {
    int port = fixture.controller.port();
    fixture.controller.close();
    fixture.controller.start(port);
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
