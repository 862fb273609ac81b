package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.testing.GrpcCleanup;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.proto.v1.DataSync;
import io.failback.proto.v1.Job;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.ProtectionState;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reverse replication after a failback asks the host's change tracking what changed since the
 * failback ended; a disk whose reference point the host lost falls back to a checksum pass, and
 * the job says so.
 */
class TrackedReverseReplicationTest {
  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void aLostReferencePointFallsBackToAChecksumPassForThatDiskOnly() throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.failedOver();
    var failback = fixture.awaitState(lifecycle.plannedFailover(fixture.vmId,
        DataSync.SYNC_BEFORE_FAILOVER), JobState.JOB_WAITING);
    fixture.awaitState(lifecycle.completeFailover(failback.getId()), JobState.JOB_SUCCEEDED);
    assertEquals(2, fixture.item().getDiskTrackingCount(), fixture.item().toString());
    fixture.awaitState(lifecycle.commit(fixture.vmId), JobState.JOB_SUCCEEDED);
    assertEquals(2, fixture.item().getDiskTrackingCount(), "the commit dropped the tracking");

    String lost = fixture.item().getDiskTracking(0).getChangeReference();
    Path trackingDir = new SimulatedHypervisor(fixture.hostDir).changeTrackingDir();
    try (var files = Files.list(trackingDir)) {
      Files.delete(files.filter(f -> f.toString().endsWith("." + lost + ".ref")).findFirst()
          .orElseThrow());
    }
    var changed0 = fixture.scribbleOnPrem(0, 4, 41);
    var changed1 = fixture.scribbleOnPrem(1, 3, 42);

    Job reverse = fixture.awaitState(lifecycle.reverseReplicate(fixture.vmId),
        JobState.JOB_SUCCEEDED);
    assertEquals(ProtectionState.PROTECTED, fixture.item().getState());
    assertTrue(reverse.getTimelineList().stream().anyMatch(s -> s.getDescription().contains(
        "change tracking unavailable") && s.getDescription().contains("falling back to a"
        + " checksum pass")), reverse.toString());
    // The fallback reads the read point the refused session had joined: the replica is the VM
    // at one moment, without a second pass.
    assertEquals(1, reverse.getTimelineList().stream().filter(s -> s.getDescription()
        .startsWith("disks ") && s.getDescription().contains(" froze them")).count(),
        reverse.toString());
    assertTrue(reverse.getTimelineList().stream().noneMatch(s -> s.getDescription()
        .contains("comparing every disk again")), reverse.toString());
    var disks = LifecycleFixture.diskTasks(reverse);
    assertEquals(changed0.cardinality(), disks.get(0).getProgress().getBlocksSent()
        + disks.get(0).getProgress().getBlocksZero(), reverse.toString());
    assertEquals(changed1.cardinality(), disks.get(1).getProgress().getBlocksSent()
        + disks.get(1).getProgress().getBlocksZero(), reverse.toString());
    fixture.assertOnPremEqualsCloud(fixture.item().getCloudVmId());
  }
}
