package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.cloud.SimulatedGuest;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.lifecycle.Targets;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.BandwidthScope;
import io.failback.proto.v1.BandwidthServiceGrpc;
import io.failback.proto.v1.BandwidthServiceGrpc.BandwidthServiceBlockingStub;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.DiskTracking;
import io.failback.proto.v1.EnableProtectionRequest;
import io.failback.proto.v1.FailoverServiceGrpc;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobStep;
import io.failback.proto.v1.JobTask;
import io.failback.proto.v1.ProtectedItem;
import io.failback.proto.v1.SetBandwidthLimitRequest;
import io.grpc.ManagedChannel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The block size the controller chooses for a VM's first copy, over the operator's API and
 * real mTLS: a host behind a slow bandwidth limit gets 16 KiB blocks, the VM keeps them after
 * the limit goes, and its cycles send the 16 KiB blocks a guest's small writes touch, not the
 * 64 KiB ones. Without a slow link (every other protection in the suite) it stays 64 KiB.
 */
class ChosenBlockSizeTest {
  private static final int KIB = 1024;
  private static final String CHOSEN = "blocks of 16 KiB chosen for the VM's first copy: the"
      + " bandwidth limit in force, 100 Mbit/s, is a slow link (at most 250 Mbit/s); the VM"
      + " keeps them";
  private static final String CHOSEN_FOR_FAILBACK = "blocks of 16 KiB chosen for the failback,"
      + " whose phase 1 compares every block: the bandwidth limit in force, 100 Mbit/s, is a"
      + " slow link (at most 250 Mbit/s); the VM keeps them";
  private static final String KEPT = "blocks of 16 KiB (the VM's, chosen by the controller for"
      + " a slow link)";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aSlowLinkGivesTheFirstCopySmallBlocksThatTheVmKeeps() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    BandwidthServiceBlockingStub bandwidth = BandwidthServiceGrpc.newBlockingStub(channel);
    bandwidth.setBandwidthLimit(SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_HOST).setName("hv-01").setSchedule("100Mbit/s")
        .build());

    Job protect = FailoverServiceGrpc.newBlockingStub(channel).enableProtection(
        EnableProtectionRequest.newBuilder().addVmIds(fixture.vmId).build()).getJob();
    awaitStep(fixture, protect.getId(), CHOSEN);
    // Chosen once, before the first byte: the limit may go, the VM's blocks stay.
    bandwidth.setBandwidthLimit(SetBandwidthLimitRequest.newBuilder()
        .setScope(BandwidthScope.BANDWIDTH_HOST).setName("hv-01").setSchedule("").build());
    Job done = fixture.awaitState(protect, JobState.JOB_SUCCEEDED);
    assertStep(done, KEPT);
    ProtectedItem item = fixture.item();
    assertEquals(16 * KIB, item.getBlockSize(), item.toString());
    assertTrue(item.getBlockSizeChosen(), item.toString());
    assertEquals(2, item.getDiskTrackingCount(), item.toString());
    for (DiskTracking tracking : item.getDiskTrackingList()) {
      assertEquals(16 * KIB, tracking.getBlockSize(), item.toString());
    }
    String cloudVm = item.getCloudVmId();
    fixture.assertOnPremEqualsCloud(cloudVm);

    // A guest's 4 KiB writes in 12 places: the cycle, tracked, sends the 16 KiB blocks they
    // touch, 16 KiB each, where 64 KiB blocks would have sent four times the bytes. The host
    // tracks 64 KiB: the agent reads the four blocks of each and sends those that differ from
    // their recorded digests.
    BitSet places = writeSmall(fixture, 12, 5);
    BitSet touched = blocksOf(places, 16 * KIB);
    List<SyncOutcome> cycle = lifecycle.replicateNow(fixture.vmId);
    SyncOutcome disk0 = cycle.get(0);
    assertEquals(touched.cardinality(), disk0.agent().getBlocksSent(), disk0.toString());
    assertEquals(4 * blocksOf(places, 64 * KIB).cardinality(), disk0.agent().getBlocksScanned(),
        "tracked: " + disk0);
    assertEquals(disk0.agent().getBlocksScanned() - touched.cardinality(),
        disk0.agent().getBlocksEqual(), disk0.toString());
    assertEquals(16L * KIB * touched.cardinality(), disk0.controller().progress()
        .bytesWritten(), disk0.toString());
    assertEquals(0, cycle.get(1).agent().getBlocksSent(), cycle.get(1).toString());
    fixture.assertOnPremEqualsCloud(cloudVm);
    assertTrue(fixture.item().getBlockSizeChosen(), "a cycle keeps what was chosen");

    // A failover to the cloud sends the same in its final sync, while the VM is down; the job
    // shows what the agent, which sent, scanned and found equal (the controller only received).
    BitSet late = writeSmall(fixture, 9, 6);
    Job failover = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_SUCCEEDED);
    assertStep(failover, "final delta sync started (TRACKED)");
    // Its proof, as a failback's: both sides' digests of each disk, on the task and the step.
    assertStep(failover, "final delta sync verified (TRACKED): whole-disk digests equal on"
        + " both sides; " + 4 * blocksOf(late, 64 * KIB).cardinality() + " blocks scanned, "
        + blocksOf(late, 16 * KIB).cardinality() + " sent, ");
    for (JobTask task : LifecycleFixture.diskTasks(failover)) {
      assertEquals(64, task.getSourceDigest().length(), task.toString());
      assertEquals(task.getSourceDigest(), task.getTargetDigest(), task.toString());
      assertEquals("final delta sync", task.getPhases(0).getPhase(), task.toString());
    }
    String disk0Path = fixture.onPremDisk(0).toString();
    JobProgress disk = LifecycleFixture.diskTasks(failover).stream()
        .filter(t -> t.getDiskPath().equals(disk0Path)).findFirst()
        .orElseThrow().getProgress();
    long scanned = 4L * blocksOf(late, 64 * KIB).cardinality();
    assertEquals(blocksOf(late, 16 * KIB).cardinality(), disk.getBlocksSent(), disk.toString());
    assertEquals(scanned, disk.getBlocksScanned(), disk.toString());
    assertEquals(scanned - disk.getBlocksSent(), disk.getBlocksEqual(), disk.toString());
    assertEquals(16L * KIB * scanned, disk.getBytesRead(), disk.toString());
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /**
   * A VM protected over a fast link fails back over a slow one: the failback's phase 1, which
   * compares every block anyway, takes 16 KiB blocks, so its phase 2 (the downtime) sends the
   * 16 KiB blocks the cloud guest wrote after it, not the 64 KiB ones around them; the VM keeps
   * them for the reverse replication.
   */
  @Test
  void aFailbackOverASlowLinkGivesPhaseTwoSmallBlocks() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    String vmId = fixture.vmId;
    fixture.awaitState(lifecycle.enableProtection(vmId), JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.plannedFailover(vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();
    assertEquals(0, fixture.item().getBlockSize(), "protected over a fast link");
    ManagedChannel channel = fixture.controller.channel(fixture.controller.pki.operator("ops"));
    BandwidthServiceGrpc.newBlockingStub(channel).setBandwidthLimit(SetBandwidthLimitRequest
        .newBuilder().setScope(BandwidthScope.BANDWIDTH_HOST).setName("hv-01")
        .setSchedule("100Mbit/s").build());

    // The pre-flight samples in the blocks the failback will take: 1,024 of each disk's 2,048
    // and 1,024 of 16 KiB (512 and 256 of 64 KiB).
    assertEquals(2048, lifecycle.preflight(Targets.of(List.of(vmId)),
        DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.empty()).getEstimate()
        .getBlocksSampled());
    Job failback = lifecycle.plannedFailover(vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertStep(waiting, CHOSEN_FOR_FAILBACK);
    assertStep(waiting, KEPT);
    assertEquals(16 * KIB, fixture.item().getBlockSize(), fixture.item().toString());
    // After phase 1's snapshot the guest writes 4 KiB in three places of disk 0, two of them
    // in one 64 KiB block, and one of disk 1: three 16 KiB blocks and one, where 64 KiB blocks
    // would have sent two and one, twice the bytes.
    SimulatedGuest guest = fixture.controller.server.cloud().guest(cloudVm);
    Random random = new Random(8);
    long[][] diskAndOffset = {{0, 16 * KIB}, {0, 3 * 16 * KIB + 4 * KIB}, {0, 100 * 16 * KIB},
        {1, 7 * 16 * KIB + 12 * KIB}};
    for (long[] write : diskAndOffset) {
      byte[] data = new byte[4 * KIB];
      random.nextBytes(data);
      guest.write((int) write[0], write[1], data);
    }
    Job done = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    assertStep(done, "p2 (TRACKED) verified");
    assertEquals(List.of(3L, 1L), LifecycleFixture.diskTasks(done).stream()
        .map(t -> t.getProgress().getBlocksSent() + t.getProgress().getBlocksZero()).toList(),
        done.toString());
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(fixture.cloudBytes(cloudVm, i), fixture.onPremBytes(i));
    }
    fixture.awaitState(lifecycle.commit(vmId), JobState.JOB_SUCCEEDED);
    ProtectedItem item = fixture.item();
    assertEquals(16 * KIB, item.getBlockSize(), item.toString());
    assertTrue(item.getBlockSizeChosen(), item.toString());
    for (DiskTracking tracking : item.getDiskTrackingList()) {
      assertEquals(16 * KIB, tracking.getBlockSize(), item.toString());
    }

    // The VM keeps them: the reverse replication, asking nothing, sends the on-prem guest's
    // tracked 16 KiB blocks.
    BitSet places = writeSmall(fixture, 5, 9);
    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(vmId), JobState.JOB_SUCCEEDED);
    assertStep(reverse, KEPT);
    assertStep(reverse, "reverse replication started (TRACKED)");
    String disk0 = fixture.onPremDisk(0).toString();
    assertEquals(blocksOf(places, 16 * KIB).cardinality(), LifecycleFixture.diskTasks(reverse)
        .stream().filter(t -> t.getDiskPath().equals(disk0)).findFirst().orElseThrow()
        .getProgress().getBlocksSent(), reverse.toString());
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
  }

  @Test
  void noSlowLinkKnownKeepsTheDefault() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    Job done = fixture.awaitState(lifecycle.enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertStep(done, "blocks of 64 KiB (the default)");
    assertFalse(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("chosen for the VM's first copy")), done.getTimelineList().toString());
    ProtectedItem item = fixture.item();
    assertEquals(0, item.getBlockSize(), item.toString());
    assertFalse(item.getBlockSizeChosen(), item.toString());
    // Nor for a failback: its phase 1 keeps the VM's 64 KiB.
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertEquals(512 + 256, lifecycle.preflight(Targets.of(List.of(fixture.vmId)),
        DataSync.SYNC_BEFORE_FAILOVER, Optional.empty(), Optional.empty()).getEstimate()
        .getBlocksSampled(), "every 64 KiB block of both disks");
    Job failback = lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER);
    Job waiting = fixture.awaitState(failback, JobState.JOB_WAITING);
    assertStep(waiting, "blocks of 64 KiB (the default)");
    assertFalse(waiting.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("chosen for the failback")), waiting.getTimelineList().toString());
    fixture.awaitState(lifecycle.completeFailover(failback.getId()), JobState.JOB_SUCCEEDED);
    assertEquals(0, fixture.item().getBlockSize(), fixture.item().toString());
  }

  /**
   * Writes 4 KiB of random bytes at {@code writes} distinct 4 KiB-aligned places of on-prem
   * disk 0; returns those places (in units of 4 KiB).
   */
  private static BitSet writeSmall(LifecycleFixture fixture, int writes, long seed)
      throws Exception {
    BitSet places = new BitSet();
    try (BlockDevice device = BlockDevices.open(fixture.onPremDisk(0), true)) {
      Random random = new Random(seed);
      byte[] data = new byte[4 * KIB];
      while (places.cardinality() < writes) {
        int place = random.nextInt((int) (device.size() / data.length));
        random.nextBytes(data);
        device.write((long) place * data.length, ByteBuffer.wrap(data));
        places.set(place);
      }
      device.flush();
    }
    return places;
  }

  /** The {@code block}-byte blocks 4 KiB places touch. */
  private static BitSet blocksOf(BitSet places, int block) {
    BitSet blocks = new BitSet();
    places.stream().forEach(p -> blocks.set((int) ((long) p * 4 * KIB / block)));
    return blocks;
  }

  private static void awaitStep(LifecycleFixture fixture, String jobId, String text)
      throws Exception {
    for (int i = 0; i < 600; i++) {
      Job job = fixture.controller.server.jobs().get(jobId);
      if (job.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(text))) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(text + " not in " + fixture.controller.server.jobs().get(jobId)
        .getTimelineList());
  }

  private static void assertStep(Job job, String text) {
    assertTrue(job.getTimelineList().stream().map(JobStep::getDescription)
        .anyMatch(d -> d.contains(text)), text + " not in " + job.getTimelineList());
  }
}
