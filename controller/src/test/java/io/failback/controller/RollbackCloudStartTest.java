package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.LogCapture;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failback undone whose on-prem disks went back but whose cloud VM would not start: the job
 * and the item say exactly that, and the cloud VM is started as soon as it can be. Before, the
 * item said the rollback itself was still due "as soon as the host can", which it was not.
 */
class RollbackCloudStartTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void disksRolledBackButTheCloudVmNotStartedIsSaidAndTheStartIsRetried() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Waiting run = failbackAfterPhaseOne(fixture, 71);
    String cloudVm = run.cloudVm();
    Cloud cloud = fixture.controller.server.cloud();
    OnPremBefore before = run.before();
    Job failback = run.failback();
    byte[][] written = {fixture.onPremBytes(0), fixture.onPremBytes(1)};
    // The cloud VM is off (as after phase 2's shutdown) and cannot start: a replication-like
    // writer holds one of its disks.
    cloud.shutdown(cloudVm);
    BlockDevice writer = cloud.openDisk(cloudVm, 0, true);
    Job cancelled;
    try {
      fixture.controller.server.jobs().cancel(failback.getId());
      cancelled = fixture.awaitState(failback, JobState.JOB_CANCELLED);
      ProtectedItem item = fixture.item();
      assertEquals(ProtectionState.FAILBACK_INCONSISTENT, item.getState(), item.toString());
      assertTrue(item.getInconsistentReason().contains("the on-prem disks were rolled back to"
          + " their state before the failback (") && item.getInconsistentReason().contains(
          "but starting the cloud VM failed (cloud VM ") && item.getInconsistentReason()
          .contains("it is tried again"), item.getInconsistentReason());
      assertTrue(cancelled.getTimelineList().stream().anyMatch(s -> s.getDescription()
          .contains("; starting the cloud VM failed (")), cancelled.toString());
      for (int i = 0; i < 2; i++) {
        assertArrayEquals(before.disks()[i], fixture.onPremBytes(i), "disk " + i);
      }
      assertTrue(!java.util.Arrays.equals(written[0], before.disks()[0])
          || !java.util.Arrays.equals(written[1], before.disks()[1]),
          "phase 1 wrote nothing, so nothing was rolled back");
      assertEquals(PowerState.OFF, cloud.get(cloudVm).orElseThrow().state());

      // The sweep (every 200 ms here) tries again and again while the start fails: the item
      // keeps saying why, and nothing warns of a transition it may not make.
      try (LogCapture log = LogCapture.of("io.failback.controller.lifecycle")) {
        Thread.sleep(1_000);
        ProtectedItem waiting = fixture.item();
        assertEquals(ProtectionState.FAILBACK_INCONSISTENT, waiting.getState());
        assertTrue(waiting.getInconsistentReason().contains("the on-prem disks hold what they"
            + " held before the failback, but starting the cloud VM failed (cloud VM ")
            && waiting.getInconsistentReason().contains("it is tried again"),
            waiting.getInconsistentReason());
        assertEquals(java.util.List.of(), log.events().stream()
            .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList());
      }
    } finally {
      writer.close();
    }

    // Once it can start, the sweep starts it, and the item is FAILED_OVER as after any rollback.
    before.awaitRolledBack(fixture, 30);
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state());
  }

  /**
   * The same start that failed, with the on-prem host gone as well: the rollback waits for the
   * host, but the cloud VM, the only copy that may run, is started as soon as it can be, not
   * when the host comes back. Before, the sweep only looked at items whose host was online.
   */
  @Test
  void theCloudVmStartsWhileTheRollbackWaitsForAnOfflineHost() throws Exception {
    LifecycleFixture fixture = LifecycleFixture.withAgentProcess(dir, cleanup);
    Waiting started = failbackAfterPhaseOne(fixture, 72);
    String cloudVm = started.cloudVm();
    Cloud cloud = fixture.controller.server.cloud();
    OnPremBefore before = started.before();
    Job failback = started.failback();
    cloud.shutdown(cloudVm);
    BlockDevice writer = cloud.openDisk(cloudVm, 0, true);
    try {
      fixture.agentProcess().kill();
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (fixture.controller.server.registry().isOnline("hv-01")) {
        assertTrue(System.nanoTime() < deadline, "the killed agent still counts as online");
        Thread.sleep(20);
      }
      fixture.controller.server.jobs().cancel(failback.getId());
      fixture.awaitState(failback, JobState.JOB_CANCELLED);
      ProtectedItem item = fixture.item();
      assertEquals(ProtectionState.FAILBACK_INCONSISTENT, item.getState(), item.toString());
      assertTrue(item.getInconsistentReason().contains("as soon as host hv-01 can"),
          item.getInconsistentReason());
      Thread.sleep(600);
      assertEquals(PowerState.OFF, cloud.get(cloudVm).orElseThrow().state());
    } finally {
      writer.close();
    }

    // The host is still down: the sweep starts the cloud VM and says so; the rollback waits.
    // The item says it once the VM runs: wait for both.
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (cloud.get(cloudVm).orElseThrow().state() != PowerState.RUNNING
        || !fixture.item().getInconsistentReason().contains("the cloud VM runs again")) {
      assertTrue(System.nanoTime() < deadline, "the cloud VM was not started: " + fixture.item());
      Thread.sleep(50);
    }
    ProtectedItem waiting = fixture.item();
    assertEquals(ProtectionState.FAILBACK_INCONSISTENT, waiting.getState());
    assertTrue(waiting.getInconsistentReason().startsWith("failback ")
        && waiting.getInconsistentReason().contains("; the cloud VM runs again since ")
        && waiting.getInconsistentReason().endsWith("; the on-prem disks are rolled back from"
            + " their undo journals as soon as host hv-01 answers"),
        waiting.getInconsistentReason());
    assertTrue(!waiting.getUndoJournal().isEmpty(), waiting.toString());
    assertTrue(!fixture.controller.server.registry().isOnline("hv-01"));

    // The host returns: its disks go back, and the item is FAILED_OVER with the VM running.
    fixture.agentProcess().start();
    before.awaitRolledBack(fixture, 30);
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state());
  }

  private record Waiting(String cloudVm, OnPremBefore before, Job failback) {}

  /** A failed-over VM whose cloud guest wrote, in a failback that waits after its phase 1. */
  private Waiting failbackAfterPhaseOne(LifecycleFixture fixture, int seed) throws Exception {
    String cloudVm = fixture.failedOver();
    fixture.controller.server.cloud().guest(cloudVm).scribble(0, 30, seed);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));
    Job failback = fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(failback, JobState.JOB_WAITING);
    return new Waiting(cloudVm, before, failback);
  }
}
