package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.FailoverDirection;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.PowerState;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The whole DR loop over real mTLS: protect, fail over, fail back, commit, reverse. */
class LifecycleEndToEndTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void protectFailOverFailBackWithSyncBeforeFailoverCommitAndReverseReplicate()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();

    // Protect: initial replication into a new cloud VM.
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
    String cloudVm = fixture.item().getCloudVmId();
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(fixture.onPremBytes(i), fixture.cloudBytes(cloudVm, i));
    }

    // A delta cycle carries new on-prem writes: the initial replication left a reference
    // point on the host, so the agent sends exactly those blocks without a checksum pass.
    fixture.scribbleOnPrem(1, 5, 7);
    var cycle = lifecycle.replicateNow(fixture.vmId);
    assertEquals(5, cycle.get(1).agent().getBlocksSent(), cycle.toString());
    assertEquals(0, cycle.get(0).agent().getBlocksSent(), cycle.toString());
    assertArrayEquals(fixture.onPremBytes(1), fixture.cloudBytes(cloudVm, 1));

    // Planned failover to the cloud, then commit.
    Job failover = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_SUCCEEDED);
    assertEquals(FailoverDirection.ON_PREM_TO_CLOUD, failover.getDirection());
    assertEquals(ProtectionState.FAILED_OVER_COMMIT_PENDING, fixture.item().getState());
    assertEquals(PowerState.OFF, fixture.onPremVm().getPowerState());
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_OVER, fixture.item().getState());

    // The cloud VM runs and writes; then failback with sync before failover.
    var cloud = fixture.controller.server.cloud();
    cloud.guest(cloudVm).scribble(0, 30, 11);
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    assertEquals(FailoverDirection.CLOUD_TO_ON_PREM, failback.getDirection());
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertTrue(waiting.getAllowedActionsList().contains("CompleteFailover"), waiting.toString());
    assertEquals(ProtectionState.FAILBACK_SYNCED, fixture.item().getState());

    // More guest writes after the snapshot: phase 2 must send exactly these blocks.
    java.util.Random random = new java.util.Random(5);
    int[][] written = {{3, 4, 100, 200, 201}, {0, 17, 255}};
    for (int disk = 0; disk < 2; disk++) {
      for (int block : written[disk]) {
        byte[] data = new byte[64 * 1024];
        random.nextBytes(data);
        cloud.guest(cloudVm).write(disk, block * 64L * 1024, data);
      }
    }
    cloud.guest(cloudVm).write(0, 50 * 64L * 1024 + 8192, new byte[4096]); // a partial block
    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    long[] phaseTwoBlocks = done.getTasksList().stream()
        .filter(t -> !t.getDiskPath().isEmpty())
        .mapToLong(t -> t.getProgress().getBlocksSent() + t.getProgress().getBlocksZero())
        .toArray();
    // Block 50 of disk 0 took zeros where it held zeros: written, but equal, so not sent.
    assertArrayEquals(new long[] {5, 3}, phaseTwoBlocks, done.toString());
    long[] phaseTwoReported = done.getTasksList().stream()
        .filter(t -> !t.getDiskPath().isEmpty())
        .mapToLong(t -> t.getProgress().getBlocksSent() + t.getProgress().getBlocksZero()
            + t.getProgress().getBlocksEqual())
        .toArray();
    assertArrayEquals(new long[] {6, 3}, phaseTwoReported, done.toString());
    assertTrue(done.getTimelineList().stream().anyMatch(
        s -> s.getDescription().contains("p2 (TRACKED) verified: whole-disk digests equal")), done.toString());
    assertEquals(ProtectionState.FAILED_BACK_COMMIT_PENDING, fixture.item().getState());
    assertEquals(PowerState.RUNNING, fixture.onPremVm().getPowerState());
    assertEquals("", fixture.onPremVm().getInconsistentReason());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(fixture.cloudBytes(cloudVm, i), fixture.onPremBytes(i),
          "on-prem disk " + i + " == cloud disk at shutdown");
    }
    JobTask vmTask = done.getTasksList().stream().filter(t -> t.getDiskPath().isEmpty())
        .findFirst().orElseThrow();
    assertTrue(vmTask.hasDowntime(), done.toString());
    for (JobTask task : done.getTasksList()) {
      if (!task.getDiskPath().isEmpty()) {
        assertEquals(task.getSourceDigest(), task.getTargetDigest());
        assertFalse(task.getSourceDigest().isEmpty());
      }
    }

    // Commit: the cloud VM and its disks go; the final state stays as the seed.
    Path cloudDir = dir.resolve("state/cloud/vms").resolve(cloudVm);
    assertTrue(Files.exists(cloudDir));
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.FAILED_BACK, fixture.item().getState());
    assertFalse(Files.exists(cloudDir), "cloud VM directory still there");
    assertTrue(cloud.get(cloudVm).isEmpty());

    // Reverse replication sends only the blocks that changed on-prem after the failback. The
    // host's tracking (reference point made after phase 1, so that making it costs no
    // downtime) also reports the 6 + 3 blocks phase 2 wrote; their bytes equal what both sides
    // recorded, so they are not sent back (issue 11.5).
    var changed = fixture.scribbleOnPrem(0, 9, 21);
    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
    long sent = reverse.getTasksList().stream().filter(t -> !t.getDiskPath().isEmpty())
        .mapToLong(t -> t.getProgress().getBlocksSent() + t.getProgress().getBlocksZero())
        .sum();
    assertEquals(changed.cardinality(), sent, reverse.toString());
    // The failback left reference points: the host's tracking names the changed blocks, so
    // the session sends those without a checksum pass over the rest.
    assertTrue(reverse.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .equals("reverse replication started (TRACKED)")), reverse.toString());

    String replica = fixture.item().getCloudVmId();
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(fixture.onPremBytes(i), fixture.cloudBytes(replica, i));
    }

    // Reverse replication recorded digest sets and reference points: the next cycle is tracked.
    fixture.scribbleOnPrem(0, 2, 22);
    var tracked = lifecycle.replicateNow(fixture.vmId);
    assertEquals(java.util.List.of(2L, 0L), tracked.stream()
        .map(o -> o.agent().getBlocksSent()).toList(), tracked.toString());
    assertTrue(tracked.get(0).agent().getBlocksScanned() < 512, tracked.toString());
    fixture.assertOnPremEqualsCloud(replica);
  }
}
