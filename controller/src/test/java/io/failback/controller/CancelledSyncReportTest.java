package io.failback.controller;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.disk.BlockDevices;
import io.failback.common.sync.SyncProgress;
import io.failback.controller.sync.DiskSyncs;
import io.failback.controller.sync.SyncOutcome;
import io.failback.proto.v1.StartSync;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import io.failback.proto.v1.VirtualDisk;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A session cancelled here ends here soon, whatever holds the agent's report of it back: the
 * job that cancelled it (one of the VM's disks failed) must not wait for that report.
 */
class CancelledSyncReportTest extends SyncGrpcTestBase {
  @Test
  void aCancelledSessionDoesNotWaitForAReportTheAgentHoldsBack() throws Exception {
    ControllerFixture controller = cleanup.register(new ControllerFixture(dir).start());
    List<VirtualDisk> disks = startAgent(controller, controller.port());
    DiskSyncs syncs = controller.server.syncs();
    // Disk 0's session under read point token "tok" fails at once (more batches per end than
    // the protocol allows: both sides refuse it). The agent keeps its share of the VM's read
    // point for the job to continue the session.
    Path cloud0 = dir.resolve("cloud0.raw");
    BlockDevices.createRawSparse(cloud0, 64L * MIB).close();
    try (BlockDevice local = BlockDevices.open(cloud0, true)) {
      ExecutionException refused = assertThrows(ExecutionException.class, () -> syncs.sync(
          "hv-01", StartSync.newBuilder().setParameters(parameters("d0", SyncMode.DELTA,
              64L * MIB).toBuilder().setBatchesPerEnd(65537)).setAgentRole(SyncRole.SOURCE)
              .setDiskPath(disks.get(0).getPath()).setReadPointToken("tok").build(), local,
          Map.of(), checkpoint -> {}, new SyncProgress()).get(60, TimeUnit.SECONDS));
      assertTrue(refused.getMessage().contains("batches_per_end 65537 must be 0..65536"),
          refused.getMessage());
    }
    // Disk 1's session under the same token reads to its end. The agent's report of it waits
    // for the VM's last share of the read point to end: disk 0's, kept for 15 minutes.
    Path cloud1 = dir.resolve("cloud1.vhdx");
    BlockDevices.createDynamicVhdx(cloud1, 48L * MIB, 1 << 20, 512).close();
    try (BlockDevice local = BlockDevices.open(cloud1, true)) {
      SyncProgress progress = new SyncProgress();
      CompletableFuture<SyncOutcome> read = syncs.sync("hv-01", StartSync.newBuilder()
          .setParameters(parameters("d1", SyncMode.FULL, 48L * MIB))
          .setAgentRole(SyncRole.SOURCE).setDiskPath(disks.get(1).getPath())
          .setReadPointToken("tok").build(), local, Map.of(), checkpoint -> {}, progress);
      for (int i = 0; i < 300 && progress.snapshot().blocksSettled() < 768; i++) {
        Thread.sleep(100);
      }
      Thread.sleep(2000);
      assertFalse(read.isDone(), "the agent did not hold its report back; this proves nothing");

      syncs.cancel("d1", "disk 0 failed");
      ExecutionException cancelled = assertThrows(ExecutionException.class,
          () -> read.get(10, TimeUnit.SECONDS));
      assertTrue(cancelled.getMessage().contains(
          "after the session was cancelled here: disk 0 failed"), cancelled.getMessage());
    }
    // The job's next attempt continues disk 0 in the kept share, which ends the read point
    // (and the agent's wait, so that it stops at once).
    try (BlockDevice local = BlockDevices.open(cloud0, true)) {
      SyncOutcome continued = syncs.sync("hv-01", StartSync.newBuilder()
          .setParameters(parameters("d0-again", SyncMode.DELTA, 64L * MIB))
          .setAgentRole(SyncRole.SOURCE).setDiskPath(disks.get(0).getPath())
          .setReadPointToken("tok").setContinueReadPoint(true).build(), local, Map.of(),
          checkpoint -> {}, new SyncProgress()).get(60, TimeUnit.SECONDS);
      assertTrue(continued.digestsMatch(), continued.toString());
    }
  }
}
