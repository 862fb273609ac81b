package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A link that stalls mid-failback while the agent stays connected (its heartbeats still reach
 * the controller; nothing reaches the agent): the progress deadline stops the syncs and the job
 * fails saying why, instead of holding forever; once the link moves again the undo journals put
 * the on-prem disks back. An operator's cancel does the same within seconds.
 */
class StalledSyncTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aStalledFailbackFailsAtTheProgressDeadlineAndIsRolledBackOnceTheLinkMoves()
      throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = LifecycleFixture.withControllerSettings(dir, cleanup,
        PausingProxy.into(proxy, cleanup), controller -> controller.syncStallTimeout =
            Duration.ofSeconds(3));
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));

    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 5 << 20);
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "phase 1 never stalled");
    Job failed = fixture.awaitState(failback, JobState.JOB_FAILED, Duration.ofSeconds(60));
    assertTrue(failed.getErrorsList().stream().anyMatch(e -> e.contains("no progress for 3 s"
        + " while the agent stayed connected")), failed.toString());
    assertTrue(fixture.controller.server.registry().isOnline("hv-01"),
        "the agent stayed connected: this is a stall, not a lost agent");
    // The stalled phase 1 was the tracked one; a host that does not answer gets no second try.
    assertTrue(failed.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .startsWith("phase 1 sends only the")), failed.toString());
    assertFalse(failed.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .startsWith("phase 1 from the tracked writes failed")), failed.toString());

    proxy[0].resume();
    before.awaitRolledBack(fixture, 60);
    assertEquals(io.failback.controller.cloud.PowerState.RUNNING,
        fixture.controller.server.cloud().get(cloudVm).orElseThrow().state());
  }

  /**
   * The operator does not wait for the progress deadline: a cancel ends the job within seconds
   * although nothing reaches the agent (neither the cancel nor the rollback), and the rollback
   * follows by itself once the link moves.
   */
  @Test
  void aCancelDuringAStallEndsTheJobWithinSecondsAndTheRollbackFollowsOnceTheLinkMoves()
      throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup,
        PausingProxy.into(proxy, cleanup));
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    FailbackCancelTest.rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));

    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 5 << 20);
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "phase 1 never stalled");
    AgentKilledMidFailbackTest.cancelWithinSeconds(fixture, failback);
    assertEquals(ProtectionState.FAILBACK_INCONSISTENT, fixture.item().getState());
    assertTrue(fixture.item().getInconsistentReason().contains("does not answer within 3.0 s"),
        fixture.item().getInconsistentReason());
    assertEquals(io.failback.controller.cloud.PowerState.RUNNING,
        fixture.controller.server.cloud().get(cloudVm).orElseThrow().state());

    proxy[0].resume();
    before.awaitRolledBack(fixture, 60);
  }
}
