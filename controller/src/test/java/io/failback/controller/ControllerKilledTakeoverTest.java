package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.grpc.ControllerTargets;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.GetJobRequest;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobServiceGrpc;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.PlannedFailoverRequest;
import io.failback.proto.v1.ProtectionState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * From the outside: kill -9 of the active controller process in the middle of a failback (in
 * phase 1, then again while it waits, in phase 2); the standby process takes the lease over,
 * the agent and the operator's channel find it among their two addresses, a killed controller
 * started again rejoins as a standby, the job goes on, and {@code qemu-img compare} finds every
 * on-prem disk equal to its cloud disk.
 */
class ControllerKilledTakeoverTest {
  @TempDir Path dir;

  /**
   * Two takeovers in one failback: A killed in phase 1, B goes on and waits; A, started again
   * as its service manager would, rejoins as a standby; B killed while the job waits, A goes
   * on; CompleteFailover completes it.
   */
  @Test
  void killedInPhaseOneAndAgainWhileWaitingTheFailbackGoesOnEachTime() throws Exception {
    try (TakeoverRig rig = new TakeoverRig(dir, 64)) {
      // Unplanned: phase 1 compares every block (a planned one's sends only the tracked writes,
      // too fast for the operator's watch to be cut in it).
      rig.failedOver(false);
      // Phase 1 has about 140 MiB to send while the cloud VM runs: long enough to be cut.
      rig.cloudWrites(0, 1500, 65);
      rig.cloudWrites(1, 800, 66);
      assertTrue(rig.b.isAlive(), "the standby gave up");
      // The standby answers every call UNAVAILABLE, naming the active controller: clients
      // given both addresses (the standby first in this rig) go there.
      assertStandbyNames(rig, rig.portB, rig.portA);
      // A standby is ready for systemd (Type=notify), saying whom it follows.
      assertEquals("READY=1\nSTATUS=standby; the active controller is localhost:" + rig.portA,
          rig.systemdB.receive());

      Job failback = rig.failover.plannedFailover(PlannedFailoverRequest.newBuilder()
          .addVmIds(rig.vmId).setDataSync(DataSync.SYNC_BEFORE_FAILOVER).build()).getJob();
      // An operator follows the job through the takeover: the watch goes on with the new
      // active controller and ends when the job waits for CompleteFailover.
      StringWriter watched = new StringWriter();
      CompletableFuture<OperatorCli.Run> watching = CompletableFuture.supplyAsync(() -> {
        try {
          return rig.cli(watched, "job", failback.getId(), "--watch");
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      });
      // Killed once the watch printed an update (its stream is A's: a watch that began after
      // the kill would lose none) and phase 1 is well under way.
      Job cut = rig.awaitJob(failback, job -> job.getState() != JobState.JOB_RUNNING
          || job.getProgress().getBlocksSent() >= 300 && watched.getBuffer().length() > 0);
      rig.a.kill();
      long killed = System.nanoTime();
      assertEquals(JobState.JOB_RUNNING, cut.getState(), "phase 1 was over before the kill");
      long sentBefore = cut.getProgress().getBlocksSent();
      // The operator asks during the takeover: the CLI waits for the new active controller.
      OperatorCli.Run asked = rig.cli(new StringWriter(), "job", failback.getId(), "-o", "json");
      System.out.printf("CLI call made right after kill -9 answered %d ms after it%n",
          (System.nanoTime() - killed) / 1_000_000);
      assertEquals(0, asked.exit(), asked.err());
      assertTrue(asked.out().contains(failback.getId()), asked.out());
      assertTrue(asked.err().startsWith("no active controller among localhost:" + rig.portB
          + ",localhost:" + rig.portA + " answered yet"), asked.err());
      rig.awaitActive(rig.portB, rig.b);
      long active = System.nanoTime() - killed;
      assertEquals("READY=1\nSTATUS=active controller, listening on port " + rig.portB,
          rig.systemdB.receive());

      Job waiting = rig.awaitJob(failback, job -> job.getState() == JobState.JOB_WAITING
          && job.getResume().getResumed() == 1);
      OperatorCli.Run watch = watching.get(60, TimeUnit.SECONDS);
      assertEquals(0, watch.exit(), watch.err() + watch.out());
      assertTrue(watch.out().contains("lost the controller's stream (UNAVAILABLE"),
          watch.out());
      assertTrue(watch.out().contains("phase 1 verified; waiting for CompleteFailover"),
          watch.out());
      // Phase 1 again, from a fresh snapshot: the local cloud keeps a tracking point's writes
      // only through a clean stop, so the killed controller's is lost (the job says so) and
      // what reached the host before is compared.
      List<String> phaseOne = waiting.getTimelineList().stream().map(s -> s.getDescription())
          .filter(text -> text.startsWith("p1 (DELTA) verified")).toList();
      assertEquals(1, phaseOne.size(), waiting.toString());
      long sent = TakeoverRig.count(waiting, "p1 (DELTA) verified", "sent");
      System.out.printf("takeover during phase 1: standby active %d ms after kill -9; %d blocks"
          + " sent before the kill, %d after%n", active / 1_000_000, sentBefore, sent);
      assertTrue(sent < 2300, "phase 1 again sent everything again: " + sent);
      assertTrue(sent + sentBefore <= 2300 + 2 * 2 * 8 * 256, sent + " + " + sentBefore);

      rig.restartA();
      rig.awaitStandby(rig.portA, rig.a);
      assertStandbyNames(rig, rig.portA, rig.portB);
      rig.b.kill();
      killed = System.nanoTime();
      rig.awaitActive(rig.portA, rig.a);
      long listening = System.nanoTime() - killed;
      Job again = rig.awaitJob(failback, job -> job.getState() == JobState.JOB_WAITING
          && job.getResume().getResumed() == 2);
      long moving = System.nanoTime() - killed;
      System.out.printf("takeover while waiting: standby active %d ms after kill -9, job"
          + " waiting again after %d ms%n", listening / 1_000_000, moving / 1_000_000);
      // Phase 1 had completed: the second takeover's is tracked from its snapshot, which both
      // digest sets record, and sends only what the cloud VM wrote since (nothing here).
      assertEquals(1, again.getTimelineList().stream()
          .filter(s -> s.getDescription().startsWith("p1 (DELTA) verified")).count(),
          "phase 1 ran once after each takeover: " + again);
      assertEquals(1, again.getTimelineList().stream()
          .filter(s -> s.getDescription().startsWith("p1 (TRACKED) verified")).count(),
          "phase 1 ran once after each takeover: " + again);
      assertEquals(0, TakeoverRig.count(again, "p1 (TRACKED) verified", "sent"),
          "phase 1 after the second takeover resent what the host had: " + again);

      completesAfterMoreCloudWrites(rig, failback, 0, 20, 67);
    }
  }

  /** The standby on {@code port} answers UNAVAILABLE naming the one on {@code activePort}. */
  private static void assertStandbyNames(TakeoverRig rig, int port, int activePort) {
    ManagedChannel standby = rig.only(port);
    try {
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> JobServiceGrpc.newBlockingStub(standby).getJob(
              GetJobRequest.newBuilder().setJobId(java.util.UUID.randomUUID().toString())
                  .build()));
      assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
      assertTrue(refused.getStatus().getDescription().contains("active controller is"
          + " localhost:" + activePort), refused.getStatus().getDescription());
      assertEquals("localhost:" + activePort,
          refused.getTrailers().get(ControllerTargets.ACTIVE_CONTROLLER));
    } finally {
      standby.shutdownNow();
    }
    assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, rig.health(port));
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, rig.health(activePort));
  }

  @Test
  void killedDuringPhaseTwoTheStandbyKeepsTheCloudVmOffAndSendsOnlyWhatIsMissing()
      throws Exception {
    try (TakeoverRig rig = new TakeoverRig(dir, 128)) {
      rig.failedOver(true);
      Job failback = rig.failbackWaiting();
      // Phase 2 has about 250 MiB to send: long enough to be cut past a few batches per lane.
      rig.cloudWrites(0, 3000, 63);
      rig.cloudWrites(1, 1500, 64);
      rig.completeFailover(failback);
      // Killed once phase 2 has a durable checkpoint on each disk (the cloud VM is off by
      // then): the blocks sent run ahead of the checkpoints by what is in flight, so a count
      // of blocks sent does not say that both disks have one.
      Job cut = rig.awaitJob(failback, job -> job.getState() == JobState.JOB_SUCCEEDED
          || rig.item().getState() == ProtectionState.FAILBACK_COMPLETING
          && rig.disksWithCheckpoints(failback.getId()) == 2);
      rig.a.kill();
      long killed = System.nanoTime();
      Job before = rig.awaitJob(failback, job -> job.getResume().getResumed() == 1);
      System.out.printf("takeover during phase 2: job continued %d ms after kill -9%n",
          (System.nanoTime() - killed) / 1_000_000);
      assertNotEquals(JobState.JOB_SUCCEEDED, cut.getState(), "phase 2 was over before the kill");
      // It may have finished already when first seen again: from the checkpoints little is
      // left. That it had not before the kill, `cut` says.
      assertTrue(before.getResume().getCompletionRequested(), before.toString());

      Job done = rig.awaitJob(failback, JobState.JOB_SUCCEEDED);
      assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, rig.item().getState());
      assertEquals("", rig.compareWithCloud(0));
      assertEquals("", rig.compareWithCloud(1));
      // The new active controller goes on from each lane's last durable checkpoint: the
      // blocks below it are neither read nor compared again.
      List<String> resumedAt = done.getTimelineList().stream()
          .map(step -> step.getDescription())
          .filter(text -> text.contains("going on from the last durable checkpoint")).toList();
      assertEquals(2, resumedAt.size(), "both disks go on from a checkpoint: " + done);
      long scanned = TakeoverRig.count(done, "p2 (DELTA) verified", "blocks scanned");
      long sent = TakeoverRig.count(done, "p2 (DELTA) verified", "sent");
      long sentBefore = cut.getProgress().getBlocksSent();
      System.out.printf("resumed phase 2: %d of 6144 blocks scanned, %d sent; %d sent before"
          + " the kill; %s%n", scanned, sent, sentBefore, resumedAt);
      assertTrue(scanned < 6144, "the resumed pass read every block again: " + scanned);
      // What was in flight may be sent again: at most 8 full batches' worth per lane (2 disks
      // x 2 lanes x 8 batches x 256 blocks, more than a lane's 6 batches here).
      assertTrue(sent < 4500, "the resumed phase 2 sent everything again: " + sent);
      assertTrue(sent + sentBefore <= 4500 + 2 * 2 * 8 * 256, sent + " + " + sentBefore);
      try (ControllerStore store = ControllerStore.open(rig.store)) {
        assertEquals(0, store.checkpointRecords().deletePrefix("job-" + done.getId() + "/"),
            "the finished job left checkpoints behind");
      }
    }
  }

  /**
   * kill -9 of the active controller during an initial replication (the agent as the source):
   * the agent keeps the read point its cut sessions read, and the standby goes on from each
   * lane's last durable checkpoint in the cloud disk, reading that same read point.
   */
  @Test
  void killedDuringAnInitialReplicationTheStandbyGoesOnFromItsCheckpointsInTheSameReadPoint()
      throws Exception {
    try (TakeoverRig rig = new TakeoverRig(dir, 128)) {
      // About 250 MiB to copy: long enough to be cut past a few batches per lane.
      Job cut = protectUntilCheckpointed(rig, 3000, 73, 2);
      rig.a.kill();
      Job done = protectedExactly(rig, cut);
      List<String> steps = steps(done);
      assertEquals(2, steps.stream().filter(text -> text.contains(
          "going on from the last durable checkpoint")).count(), "both disks: " + steps);
      assertTrue(steps.stream().noneMatch(text -> text.contains("is gone")), steps.toString());
      // Each disk task's counters are the continued session's.
      long scanned = LifecycleFixture.diskTasks(done).stream()
          .mapToLong(t -> t.getProgress().getBlocksScanned()).sum();
      long sent = LifecycleFixture.diskTasks(done).stream()
          .mapToLong(t -> t.getProgress().getBlocksSent()).sum();
      long nonZero = nonZeroBlocks(rig, 0) + nonZeroBlocks(rig, 1);
      System.out.printf("resumed initial replication: %d of 6144 blocks scanned, %d of %d"
          + " non-zero sent%n", scanned, sent, nonZero);
      // Below the checkpoints nothing is read or sent again.
      assertTrue(scanned > 0 && scanned < 6144, "the continued pass read every block: "
          + scanned);
      assertTrue(sent > 0 && sent < nonZero, sent + " of " + nonZero + " non-zero blocks");
    }
  }

  /**
   * kill -9 while one disk of the VM was read to its end and its session waits for the other
   * disk's to end the read point: the continued session of that disk joins the same read
   * point and reads nothing, the other goes on from its checkpoints, and nothing is "gone".
   */
  @Test
  void killedWhileOneDiskWasReadToItsEndItsContinuedSessionJoinsTheSameReadPoint()
      throws Exception {
    try (TakeoverRig rig = new TakeoverRig(dir, 128)) {
      TakeoverRig.scribble(Path.of(rig.vm.getDisks(0).getPath()), 3000, 93);
      TakeoverRig.scribble(Path.of(rig.vm.getDisks(1).getPath()), 20, 94);
      // Disk 0's ~190 MiB take about 16 s at this rate, disk 1's 1 MiB well under one.
      rig.limitBandwidth("100Mbit/s");
      Job protect = rig.failover.enableProtection(EnableProtectionRequest.newBuilder()
          .addVmIds(rig.vmId).build()).getJob();
      rig.awaitAgentLog(rig.vm.getDisks(1).getPath() + " to its end");
      Job cut = rig.awaitJob(protect, job -> job.getState() == JobState.JOB_SUCCEEDED
          || rig.disksWithCheckpoints(protect.getId()) == 2);
      rig.a.kill();
      // The limit was there to cut disk 0 mid-copy; the rest goes unlimited (about 10 s less),
      // which the standby must still send in the blocks its checkpoints are of.
      rig.awaitActive(rig.portB, rig.b);
      rig.limitBandwidth("");
      Job done = protectedExactly(rig, cut);
      List<String> steps = steps(done);
      assertTrue(steps.stream().noneMatch(text -> text.contains("is gone")), steps.toString());
      assertEquals(2, steps.stream().filter(text -> text.contains(
          "going on from the last durable checkpoint")).count(), "both disks: " + steps);
      // One moment for the whole VM: both disks come from the read point the cut pass read.
      assertEquals(1, steps.stream().filter(text -> text.startsWith("disks ")
          && text.contains(" copied as read point ") && text.contains(" froze them")).count(),
          "both disks from one read point: " + steps);
      long disk1Scanned = LifecycleFixture.diskTasks(done).stream()
          .filter(task -> task.getDiskPath().equals(rig.vm.getDisks(1).getPath()))
          .findFirst().orElseThrow().getProgress().getBlocksScanned();
      System.out.printf("disk read to its end before the kill: %d blocks read again%n",
          disk1Scanned);
      // The limit is a slow link: the controller chose 16 KiB blocks for the VM's first copy,
      // and the standby continued it in the same blocks (its checkpoints are of them).
      assertEquals(1, steps.stream().filter(text -> text.startsWith("blocks of 16 KiB chosen"
          + " for the VM's first copy")).count(), steps.toString());
      assertEquals(16 * 1024, rig.item().getBlockSize());
      assertTrue(disk1Scanned < 2 * 1024, "read again: " + disk1Scanned + " of 8192 blocks"
          + " (two batches: 2048)");
    }
  }

  /**
   * The host's agent killed too (its read points are discarded at its next start): the standby
   * learns that the read point is gone and compares checksums from the start, still exact.
   */
  @Test
  void killedWithTheAgentDuringAnInitialReplicationTheStandbyComparesChecksumsFromTheStart()
      throws Exception {
    try (TakeoverRig rig = new TakeoverRig(dir, 64)) {
      Job cut = protectUntilCheckpointed(rig, 1500, 83, 1);
      rig.a.kill();
      rig.killAgentAndStartAgain();
      Job done = protectedExactly(rig, cut);
      List<String> steps = steps(done);
      assertTrue(steps.stream().anyMatch(text -> text.contains("the read point it was reading"
          + " is gone") && text.contains("falling back to a checksum pass (DELTA) from the"
          + " start")), steps.toString());
    }
  }

  /**
   * Writes {@code blocks} random blocks to disk 0 and half as many to disk 1, starts their
   * initial replication and returns the job once {@code disks} disks have a durable checkpoint.
   */
  private static Job protectUntilCheckpointed(TakeoverRig rig, int blocks, long seed, int disks)
      throws Exception {
    TakeoverRig.scribble(Path.of(rig.vm.getDisks(0).getPath()), blocks, seed);
    TakeoverRig.scribble(Path.of(rig.vm.getDisks(1).getPath()), blocks / 2, seed + 1);
    Job protect = rig.failover.enableProtection(EnableProtectionRequest.newBuilder()
        .addVmIds(rig.vmId).build()).getJob();
    return rig.awaitJob(protect, job -> job.getState() == JobState.JOB_SUCCEEDED
        || rig.disksWithCheckpoints(protect.getId()) >= disks);
  }

  /** Waits for the cut protection to succeed; the VM is protected, its disks exact. */
  private static Job protectedExactly(TakeoverRig rig, Job cut) throws Exception {
    Job done = rig.awaitJob(cut, JobState.JOB_SUCCEEDED);
    assertNotEquals(JobState.JOB_SUCCEEDED, cut.getState(), "copied before the kill");
    assertEquals(ProtectionState.PROTECTED, rig.item().getState());
    assertEquals("", rig.compareWithCloud(0));
    assertEquals("", rig.compareWithCloud(1));
    return done;
  }

  private static List<String> steps(Job job) {
    return job.getTimelineList().stream().map(step -> step.getDescription()).toList();
  }

  private static long nonZeroBlocks(TakeoverRig rig, int disk) throws Exception {
    long count = 0;
    try (io.failback.common.disk.BlockDevice device = io.failback.common.disk.BlockDevices.open(
        Path.of(rig.vm.getDisks(disk).getPath()), false)) {
      java.nio.ByteBuffer block = java.nio.ByteBuffer.allocate(64 * 1024);
      for (long at = 0; at < device.size(); at += block.capacity()) {
        device.read(at, block.clear());
        if (!io.failback.common.hash.ZeroBlocks.isAllZero(block.array())) {
          count++;
        }
      }
    }
    return count;
  }

  /** The guest writes a little more, CompleteFailover, and every disk ends equal. */
  private static void completesAfterMoreCloudWrites(TakeoverRig rig, Job failback, int disk,
      int blocks, long seed) throws Exception {
    rig.cloudWrites(disk, blocks, seed);
    rig.completeFailover(failback);
    rig.awaitJob(failback, JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, rig.item().getState());
    assertEquals("", rig.compareWithCloud(0));
    assertEquals("", rig.compareWithCloud(1));
  }
}
