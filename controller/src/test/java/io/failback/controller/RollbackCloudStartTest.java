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
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(0, 30, 71);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));

    Job failback = fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(failback, JobState.JOB_WAITING);
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
}
