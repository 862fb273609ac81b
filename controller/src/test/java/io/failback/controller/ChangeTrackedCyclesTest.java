package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.agent.hyperv.simulated.SimulatedHypervisor;
import io.failback.common.testing.GrpcCleanup;
import io.failback.common.testing.LogCapture;
import io.failback.controller.lifecycle.Lifecycle;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.DiskTracking;
import io.failback.proto.v1.JobState;
import io.failback.proto.v1.SyncReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delta cycles with the simulated host's change tracking, over real mTLS: only the blocks the
 * host reports are sent, and a lost reference point falls back to a checksum pass.
 */
class ChangeTrackedCyclesTest {
  /** 32 MiB and 16 MiB disks in 64 KiB blocks. */
  private static final long[] DISK_BLOCKS = {512, 256};
  private static final String TRANSFER_LOG = "io.failback.controller.lifecycle.DiskTransfer";

  @RegisterExtension final GrpcCleanup cleanup = new GrpcCleanup();
  @TempDir Path dir;

  @Test
  void cyclesSendOnlyTrackedBlocksAndFallBackToChecksumsWhenTheReferenceIsLost()
      throws Exception {
    LifecycleFixture fixture = new LifecycleFixture(dir, cleanup);
    Lifecycle lifecycle = fixture.controller.server.lifecycle();
    fixture.awaitState(lifecycle.enableProtection(fixture.vmId), JobState.JOB_SUCCEEDED);
    List<DiskTracking> initial = fixture.item().getDiskTrackingList();
    assertEquals(2, initial.size(), fixture.item().toString());
    String cloudVm = fixture.item().getCloudVmId();

    // Tracked: the agent sends exactly the blocks written since the initial replication.
    fixture.scribbleOnPrem(0, 5, 31);
    fixture.scribbleOnPrem(1, 3, 32);
    List<SyncOutcome> tracked = lifecycle.replicateNow(fixture.vmId);
    assertSent(tracked, 5, 3);
    assertTracked(tracked.get(0));
    assertTracked(tracked.get(1));
    fixture.assertOnPremEqualsCloud(cloudVm);
    List<DiskTracking> afterTracked = fixture.item().getDiskTrackingList();
    assertNotEquals(initial, afterTracked, "each cycle leaves a new reference point");

    // Nothing written: nothing sent, and still the whole disk proven equal by digests.
    List<SyncOutcome> idle = lifecycle.replicateNow(fixture.vmId);
    assertSent(idle, 0, 0);
    idle.forEach(outcome -> assertTrue(outcome.digestsMatch()));

    // The host loses disk 0's reference point: that disk falls back to a checksum pass.
    String lost = fixture.item().getDiskTracking(0).getChangeReference();
    Path trackingDir = new SimulatedHypervisor(fixture.hostDir).changeTrackingDir();
    try (var files = Files.list(trackingDir)) {
      Files.delete(files.filter(f -> f.toString().endsWith("." + lost + ".ref")).findFirst()
          .orElseThrow());
    }
    fixture.scribbleOnPrem(0, 4, 33);
    fixture.scribbleOnPrem(1, 2, 34);
    List<String> logged;
    List<SyncOutcome> fallback;
    try (LogCapture capture = LogCapture.of(TRANSFER_LOG)) {
      fallback = lifecycle.replicateNow(fixture.vmId);
      logged = capture.messages();
    }
    assertSent(fallback, 4, 2);
    // Disk 0's checksum pass read the read point disk 1 was read from: one moment.
    assertTrue(!fallback.get(0).agent().getReadPoint().isEmpty());
    assertEquals(fallback.get(0).agent().getReadPoint(), fallback.get(1).agent().getReadPoint());
    assertEquals(DISK_BLOCKS[0], fallback.get(0).agent().getBlocksScanned(),
        "disk 0 compared every block's checksum");
    assertTracked(fallback.get(1));
    assertTrue(logged.stream().anyMatch(line -> line.contains("change tracking unavailable")
        && line.contains("'" + lost + "'") && line.contains("falling back to a checksum pass")),
        logged.toString());
    fixture.assertOnPremEqualsCloud(cloudVm);

    // The checksum pass recorded the digest set and a new reference: tracked again.
    assertEquals(2, fixture.item().getDiskTrackingCount());
    fixture.scribbleOnPrem(0, 1, 35);
    List<SyncOutcome> again = lifecycle.replicateNow(fixture.vmId);
    assertSent(again, 1, 0);
    assertTracked(again.get(0));
    fixture.assertOnPremEqualsCloud(cloudVm);
  }

  /** A TRACKED source reads only the blocks its host reported; a checksum pass reads all. */
  private static void assertTracked(SyncOutcome outcome) {
    SyncReport agent = outcome.agent();
    assertTrue(agent.getBlocksScanned() < DISK_BLOCKS[0] / 4, agent.toString());
    assertTrue(outcome.digestsMatch(), agent.toString());
  }

  private static void assertSent(List<SyncOutcome> outcomes, long disk0, long disk1) {
    assertEquals(List.of(disk0, disk1), outcomes.stream()
        .map(o -> o.agent().getBlocksSent() + o.agent().getBlocksZero()).toList(),
        outcomes.toString());
  }
}
