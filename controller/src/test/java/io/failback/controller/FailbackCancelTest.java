package io.failback.controller;

import static io.failback.controller.LifecycleFixture.diskTasks;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

/**
 * Cancelling a failback at any moment puts the on-prem disks back exactly as they were (the
 * agent's undo journals), the item back to FAILED_OVER with the cloud VM running; a re-run then
 * completes. Judges: the bytes, and qemu-img compare against a copy made before.
 */
class FailbackCancelTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void cancelMidTransferInPhaseOneRollsBackAndTheRerunCompletes() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = proxied(proxy);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    // Every block of the cloud disks differs from on-prem: phase 1 has all 48 MiB to send.
    rewriteEverything(cloud, cloudVm);
    byte[] cloudRaw = fixture.cloudBytes(cloudVm, 1);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));

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
    before.assertRolledBack(fixture, cancelled);
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state(),
        "phase 1 never stops the cloud VM");

    cloud.guest(cloudVm).scribble(0, 10, 44);
    Job rerun = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(rerun, JobState.JOB_WAITING);
    assertEquals(ProtectionState.FAILBACK_SYNCED, fixture.item().getState());
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
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));

    // Phase 1 on a local link often settles its last blocks before the cancel arrives: the
    // cancel then lands between the transfer and FAILBACK_SYNCED, and must still end the job.
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job request = fixture.cancelOnceBlocksSettle(failback.getId())
        .get(60, TimeUnit.SECONDS);
    assertFalse(request.getAllowedActionsList().contains("CancelJob"), request.toString());
    before.assertRolledBack(fixture, fixture.awaitState(failback, JobState.JOB_CANCELLED));

    Job rerun = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(rerun, JobState.JOB_WAITING);
    assertFailedBack(fixture, cloudVm, fixture.awaitState(
        lifecycle.completeFailover(rerun.getId()), JobState.JOB_SUCCEEDED));
  }

  @Test
  void cancelWhileWaitingRollsBackAndAFullDownloadCompletes() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(0, 30, 51);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));

    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(failback, JobState.JOB_WAITING);
    fixture.controller.server.jobs().cancel(failback.getId());
    Job cancelled = fixture.awaitState(failback, JobState.JOB_CANCELLED);
    assertTrue(cancelled.getAllowedActionsList().isEmpty(), cancelled.toString());
    before.assertRolledBack(fixture, cancelled);
    IllegalTransitionException refused = assertThrows(IllegalTransitionException.class,
        () -> lifecycle.completeFailover(failback.getId()));
    assertTrue(refused.getMessage().contains("JOB_CANCELLED"), refused.getMessage());
    assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state());

    cloud.guest(cloudVm).scribble(1, 12, 52);
    Job done = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED);
    assertFailedBack(fixture, cloudVm, done);
  }

  @Test
  void aDamagedJournalLeavesTheDisksUntouchedAndTheItemInconsistentSayingWhy() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    fixture.controller.server.cloud().guest(cloudVm).scribble(1, 30, 53);
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    fixture.awaitState(failback, JobState.JOB_WAITING);
    byte[][] synced = {fixture.onPremBytes(0), fixture.onPremBytes(1)};
    // One bit of the raw disk's preserved old bytes flips (bit rot, a bad sector).
    Path journal = OnPremBefore.damageUndoJournal(fixture, 1);

    fixture.controller.server.jobs().cancel(failback.getId());
    Job cancelled = fixture.awaitState(failback, JobState.JOB_CANCELLED);
    ProtectedItem item = fixture.item();
    assertEquals(ProtectionState.FAILBACK_INCONSISTENT, item.getState(), item.toString());
    assertTrue(item.getInconsistentReason().contains("rolling the on-prem disks back is"
        + " impossible") && item.getInconsistentReason().contains(journal + ": the record at"
        + " byte ") && item.getInconsistentReason().contains(" is damaged"),
        item.getInconsistentReason());
    assertEquals("", item.getUndoJournal(), "an impossible rollback is not retried");
    assertEquals(List.of("PlannedFailover", "RestartCloudVm"), item.getAllowedActionsList());
    assertTrue(cancelled.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("rollback impossible")), cancelled.toString());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(synced[i], fixture.onPremBytes(i), "disk " + i + " was partly rolled"
          + " back");
    }
    assertFalse(fixture.agentVm().getInconsistentReason().isEmpty());
    assertTrue(fixture.startOnPremDirectly().contains("INCONSISTENT"));

    // A re-run brings the disks to the cloud's state.
    Job done = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.FULL_DOWNLOAD), JobState.JOB_SUCCEEDED);
    assertFailedBack(fixture, cloudVm, done);
  }

  /**
   * Cancels at seeded random points, chosen by bytes on the link to the agent: in phase 1, in
   * the verify pass, in phase 2 after the cloud VM stopped, and in a full download. Every time the on-prem disks
   * are as before, and the cloud VM runs again.
   */
  @Test
  void cancelAtSeededRandomMomentsOfEveryPhaseAlwaysRestoresTheDisks() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = proxied(proxy);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String cloudVm = fixture.failedOver();
    Cloud cloud = fixture.controller.server.cloud();
    rewriteEverything(cloud, cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));
    Random random = new Random(20261203);
    for (int round = 0; round < 8; round++) {
      String phase = List.of("phase 1", "verify pass", "phase 2", "full download")
          .get(round % 4);
      Job job;
      if (phase.equals("phase 2") || phase.equals("verify pass")) {
        job = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
        fixture.awaitState(job, JobState.JOB_WAITING);
        // 60 blocks (3.75 MiB) written while it waited: phase 2 has them to send.
        cloud.guest(cloudVm).scribble(round % 2, 60, 60 + round);
        // The verify pass sends the snapshot's digests (16 bytes a block, 12 KiB in all)
        // before phase 2 sends data.
        proxy[0].arm(PausingProxy.Direction.TO_AGENT, phase.equals("verify pass")
            ? 1 + random.nextInt(8 << 10) : (16 << 10) + random.nextInt(3 << 20));
        lifecycle.completeFailover(job.getId());
      } else {
        proxy[0].arm(PausingProxy.Direction.TO_AGENT, 1 + random.nextInt(40 << 20));
        job = lifecycle.plannedFailover(fixture.vmId, phase.equals("phase 1")
            ? DataSync.SYNC_BEFORE_FAILOVER : DataSync.FULL_DOWNLOAD);
      }
      assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), phase + " never stalled");
      if (phase.equals("verify pass") || phase.equals("phase 2")) {
        // The moment is where the round says: the verify pass runs before the cloud VM stops.
        assertEquals(phase.equals("verify pass") ? PowerState.RUNNING : PowerState.OFF,
            cloud.get(cloudVm).orElseThrow().state(), "round " + round + " (" + phase + ")");
      }
      fixture.controller.server.jobs().cancel(job.getId());
      proxy[0].resume();
      Job cancelled = fixture.awaitState(job, JobState.JOB_CANCELLED);
      before.assertRolledBack(fixture, cancelled);
      assertEquals(PowerState.RUNNING, cloud.get(cloudVm).orElseThrow().state(),
          "round " + round + " (" + phase + "): the cloud VM does not run");
      // Where the failback had stopped the cloud VM, the job says it started it again.
      boolean wasOff = phase.equals("phase 2") || phase.equals("full download");
      assertEquals(wasOff, cancelled.getTimelineList().stream().anyMatch(s -> s
          .getDescription().contains("; the cloud VM runs again; the on-prem disks were rolled"
              + " back")), "round " + round + " (" + phase + "): " + cancelled);
    }
  }

  /** A fixed VHDX (every block allocated up front) is put back as exactly as a dynamic one. */
  @Test
  void cancelInPhaseOneOfAFixedVhdxPutsItBackExactly() throws Exception {
    PausingProxy[] proxy = new PausingProxy[1];
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup,
        PausingProxy.into(proxy, cleanup), FailbackCancelTest::fixedVhdx, false);
    assertTrue(java.nio.file.Files.size(fixture.onPremDisk(0)) > 32L * LifecycleFixture.MIB,
        "disk 0 is not a fixed VHDX");
    String cloudVm = fixture.failedOver();
    rewriteEverything(fixture.controller.server.cloud(), cloudVm);
    OnPremBefore before = OnPremBefore.of(fixture, dir.resolve("before"));
    // Random data does not compress: 24 MiB on the link is inside phase 1's 48 MiB, and more
    // than disk 1's 16 MiB, so the fixed VHDX (disk 0) had blocks on their way whichever
    // disk's lanes the link served first (at 8 MiB, disk 1's once took all of it in verify).
    proxy[0].arm(PausingProxy.Direction.TO_AGENT, 24L * LifecycleFixture.MIB);
    Job job = fixture.controller.server.lifecycle().plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER);
    assertTrue(proxy[0].paused().await(60, TimeUnit.SECONDS), "phase 1 never stalled");
    fixture.controller.server.jobs().cancel(job.getId());
    proxy[0].resume();
    Job cancelled = fixture.awaitState(job, JobState.JOB_CANCELLED);
    assertTrue(diskTasks(cancelled).get(0).getProgress().getBlocksSent() > 0,
        "the fixed VHDX was not written before the cancel: " + cancelled);
    before.assertRolledBack(fixture, cancelled);
  }

  /** Replaces the on-prem VM's dynamic VHDX by a fixed one with the same bytes and name. */
  private static void fixedVhdx(Path hostDir) throws Exception {
    Path disk = hostDir.resolve("vms/app-01/app-01-disk0.vhdx");
    Path fixed = disk.resolveSibling("fixed.tmp");
    Process convert = new ProcessBuilder("qemu-img", "convert", "-f", "vhdx", "-O", "vhdx",
        "-o", "subformat=fixed", disk.toString(), fixed.toString()).redirectErrorStream(true)
        .start();
    String output = new String(convert.getInputStream().readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, convert.waitFor(), "qemu-img convert: " + output);
    java.nio.file.Files.move(fixed, disk, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** A fixture whose agent reaches the controller through a pausing proxy, put in {@code proxy}. */
  private LifecycleFixture proxied(PausingProxy[] proxy) throws Exception {
    return new LifecycleFixture(dir, cleanup, PausingProxy.into(proxy, cleanup));
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
