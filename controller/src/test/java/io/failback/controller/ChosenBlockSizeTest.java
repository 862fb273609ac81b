package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
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
    assertStep(done, "blocks of 16 KiB (the VM's, chosen for its first copy over a slow link)");
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

  @Test
  void noSlowLinkKnownKeepsTheDefault() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Job done = fixture.awaitState(fixture.controller.server.lifecycle()
        .enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertStep(done, "blocks of 64 KiB (the default)");
    assertFalse(done.getTimelineList().stream().anyMatch(s -> s.getDescription()
        .contains("chosen for the VM's first copy")), done.getTimelineList().toString());
    ProtectedItem item = fixture.item();
    assertEquals(0, item.getBlockSize(), item.toString());
    assertFalse(item.getBlockSizeChosen(), item.toString());
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
