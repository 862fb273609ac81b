package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobProgress;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.JobTask;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a sync-before failback, reverse replication sends exactly the blocks that changed
 * on-prem since, not the blocks phase 2 wrote (issue 11.5); and every job reports the payload
 * that crossed the link whichever side was the source (issue 11.4).
 */
class ReverseAfterFailbackCountsTest {
  private static final int BLOCK = 64 * 1024;

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void reverseReplicationSendsOnlyOnPremChangesAndCountsTheirBytes() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    Job protect = fixture.awaitState(lifecycle.enableProtection(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    // Agent as source: the payload crossed the link although the controller sent only acks.
    assertPayloadCounted(protect);
    fixture.awaitState(lifecycle.plannedFailover(fixture.vmId, DataSync.SYNC_BEFORE_FAILOVER),
        JobState.JOB_SUCCEEDED);
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    String cloudVm = fixture.item().getCloudVmId();

    Job failback = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_WAITING);
    // The cloud guest writes while phase 1 waits: phase 2 sends these blocks on-prem.
    fixture.controller.server.cloud().guest(cloudVm).scribble(0, 30, 7);
    fixture.controller.server.cloud().guest(cloudVm).scribble(1, 12, 8);
    failback = fixture.awaitState(lifecycle.completeFailover(failback.getId()),
        JobState.JOB_SUCCEEDED);
    for (JobTask disk : LifecycleFixture.diskTasks(failback)) {
      assertEquals(List.of("phase 1", "verify pass", "phase 2"), disk.getPhasesList().stream()
          .map(p -> p.getPhase()).toList(), disk.toString());
      JobProgress phase2 = disk.getPhases(2).getProgress();
      // The guest's data compresses (LZ4): at least the blocks' digests and framing travelled.
      assertTrue(phase2.getBlocksSent() > 0 && phase2.getBytesOnWire()
          > phase2.getBlocksSent() * 16L, disk.toString());
    }
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);

    var changed0 = fixture.scribbleOnPrem(0, 5, 71);
    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    List<JobTask> disks = LifecycleFixture.diskTasks(reverse);
    assertEquals(changed0.cardinality(), disks.get(0).getProgress().getBlocksSent(),
        reverse.toString());
    assertEquals(0, disks.get(1).getProgress().getBlocksSent(), reverse.toString());
    assertTrue(disks.get(0).getProgress().getBytesOnWire()
        >= (long) changed0.cardinality() * BLOCK, reverse.toString());
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
  }

  /** Every disk's bytes on the wire hold at least its data blocks' raw bytes (random data). */
  private static void assertPayloadCounted(Job job) {
    for (JobTask disk : LifecycleFixture.diskTasks(job)) {
      JobProgress progress = disk.getProgress();
      assertTrue(progress.getBlocksSent() > 0, disk.toString());
      assertTrue(progress.getBytesOnWire() >= progress.getBlocksSent() * (long) BLOCK,
          "bytes_on_wire " + progress.getBytesOnWire() + " < " + progress.getBlocksSent()
              + " blocks of random data: " + disk);
    }
  }
}
