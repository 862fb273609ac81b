package io.failback.controller;

import static io.failback.controller.LifecycleFixture.diskTasks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.Cloud;
import io.failback.controller.cloud.PowerState;
import io.failback.controller.lifecycle.IllegalTransitionException;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Cancelling a failback leaves the on-prem VM INCONSISTENT; re-running it completes it. */
class FailbackCancelTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void cancelMidTransferInPhaseOneLeavesTheVmInconsistentAndTheRerunResumesIt()
      throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup, port -> {
      proxy[0] = cleanup.register(PausingProxy.before(port));
      return "localhost:" + proxy[0].port();
    });
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    // Every block of the cloud disks differs from on-prem: phase 1 has all 48 MiB to send,
    // and any block the re-run finds equal was written by the cancelled run.
    rewriteEverything(cloud, cloudVm);
    byte[] cloudRaw = fixture.cloudBytes(cloudVm, 1);

    // The link to the agent stalls after 40 MiB: phase 1 is stuck mid-transfer, and by then
    // at least 8 MiB of it were blocks of the 16 MiB raw disk (the VHDX disk has only 32).
    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 40L * LifecycleFixture.MIB);
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "phase 1 never got going");
    awaitSomeBlockEqual(fixture, cloudRaw);
    fixture.controller.server.jobs().cancel(failback.getId());
    proxy[0].resume();
    Job cancelled = fixture.awaitState(failback, JobState.JOB_CANCELLED);
    assertTrue(cancelled.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .startsWith("cancelled: cancelled during phase 1")), cancelled.toString());
    assertLeftInconsistent(fixture, "cancelled during phase 1");
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state(),
        "phase 1 never stops the cloud VM");

    // The cloud VM keeps writing; the re-run takes a fresh snapshot and skips equal blocks.
    cloud.guest(cloudVm).scribble(0, 10, 44);
    Job rerun = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job waiting = fixture.awaitState(rerun, JobState.JOB_WAITING);
    long equal = diskTasks(waiting).stream().mapToLong(t -> t.getProgress().getBlocksEqual())
        .sum();
    assertTrue(equal > 0, "phase 1 of the re-run skipped no block: " + waiting);
    assertEquals(ProtectionState.FAILBACK_SYNCED, fixture.item().getState());
    assertFalse(fixture.item().getInconsistentReason().isEmpty(),
        "inconsistent until the final verification");

    Job done = fixture.awaitState(lifecycle.completeFailover(rerun.getId()),
        JobState.JOB_SUCCEEDED);
    assertFailedBack(fixture, cloudVm, done);
  }

  @Test
  void cancelAtTheFirstProgressUpdateIsNeverLost() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    rewriteEverything(fixture.controller.server.cloud(), cloudVm);

    // Phase 1 on a local link often settles its last blocks before the cancel arrives: the
    // cancel then lands between the transfer and FAILBACK_SYNCED, and must still end the job.
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job request = fixture.cancelOnceBlocksSettle(failback.getId())
        .get(60, TimeUnit.SECONDS);
    assertFalse(request.getAllowedActionsList().contains("CancelJob"), request.toString());
    fixture.awaitState(failback, JobState.JOB_CANCELLED);
    assertLeftInconsistent(fixture, "cancelled during");

    Job rerun = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(rerun, JobState.JOB_WAITING);
    assertFailedBack(fixture, cloudVm, fixture.awaitState(
        lifecycle.completeFailover(rerun.getId()), JobState.JOB_SUCCEEDED));
  }

  @Test
  void cancelWhileWaitingLeavesTheVmInconsistentAndAFullDownloadCompletesIt()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(0, 30, 51);

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(failback, JobState.JOB_WAITING);
    fixture.controller.server.jobs().cancel(failback.getId());
    Job cancelled = fixture.awaitState(failback, JobState.JOB_CANCELLED);
    assertTrue(cancelled.getAllowedActionsList().isEmpty(), cancelled.toString());
    assertLeftInconsistent(fixture, "cancelled during waiting for CompleteFailover");
    IllegalTransitionException refused = assertThrows(IllegalTransitionException.class,
        () -> lifecycle.completeFailover(failback.getId()));
    assertTrue(refused.getMessage().contains("JOB_CANCELLED"), refused.getMessage());
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state());

    cloud.guest(cloudVm).scribble(1, 12, 52);
    Job done = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED);
    assertFailedBack(fixture, cloudVm, done);
  }

  /** The controller, the agent and the cloud all show the cancelled failback's aftermath. */
  private void assertLeftInconsistent(LifecycleFixture fixture, String why) throws Exception {
    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILBACK_INCONSISTENT, item.getState());
    assertTrue(item.getInconsistentReason().contains(why), item.getInconsistentReason());
    assertEquals(List.of("PlannedFailover"), item.getAllowedActionsList());
    assertEquals("", item.getActiveJobId());
    assertFalse(fixture.agentVm().getInconsistentReason().isEmpty(),
        "the agent's own mark survives the cancel");
    String refused = fixture.startOnPremDirectly();
    assertTrue(refused.contains("INCONSISTENT"), "StartVm was not refused: " + refused);
    assertEquals(io.failback.proto.v1.PowerState.OFF, fixture.onPremVm().getPowerState());
    assertEquals(List.of(), fixture.controller.server.cloud().snapshots(
        item.getCloudVmId()), "the cancelled run's snapshot was kept");
  }

  private static void assertFailedBack(LifecycleFixture fixture, String cloudVm, Job done)
      throws Exception {
    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, item.getState());
    assertEquals("", item.getInconsistentReason());
    assertEquals("", fixture.agentVm().getInconsistentReason());
    assertEquals(io.failback.proto.v1.PowerState.RUNNING, fixture.onPremVm().getPowerState());
    fixture.assertOnPremEqualsCloud(cloudVm);
    for (JobTask task : diskTasks(done)) {
      assertFalse(task.getSourceDigest().isEmpty(), task.toString());
      assertEquals(task.getSourceDigest(), task.getTargetDigest(), task.toString());
    }
  }


  /** Waits until the agent wrote at least one block of the raw disk as the cloud has it. */
  private static void awaitSomeBlockEqual(LifecycleFixture fixture, byte[] cloud)
      throws Exception {
    int block = 64 * 1024;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      byte[] onPrem = fixture.onPremBytes(1);
      for (int at = 0; at < cloud.length; at += block) {
        if (Arrays.equals(onPrem, at, at + block, cloud, at, at + block)) {
          return;
        }
      }
      assertTrue(System.nanoTime() < deadline, "the agent wrote no block of the raw disk");
      Thread.sleep(20);
    }
  }

  /** Random bytes over every block of both cloud disks: each one differs from on-prem. */
  static void rewriteEverything(Cloud cloud, String cloudVm) throws Exception {
    Random random = new Random(42);
    byte[] chunk = new byte[1 << 20];
    for (int disk = 0; disk < 2; disk++) {
      long size = cloud.get(cloudVm).orElseThrow().disks().get(disk).virtualSize();
      for (long at = 0; at < size; at += chunk.length) {
        random.nextBytes(chunk);
        cloud.guest(cloudVm).write(disk, at, chunk);
      }
    }
  }
}
