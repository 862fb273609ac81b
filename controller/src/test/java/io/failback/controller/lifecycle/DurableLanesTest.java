package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.failback.controller.store.ControllerStore;
import io.failback.proto.v1.LaneCheckpoint;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncRole;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A transfer's checkpoints are its own: the VMs of one recovery-plan job run phase 2 side by
 * side, each with a disk 0, and one VM must never start where another VM's lane stopped (CI
 * once saw db's phase 2 skip its whole disk at app's checkpoint; the read-back caught it).
 */
class DurableLanesTest {
  @TempDir Path dir;

  private static DiskTransfer.Plan phase2(String jobId, String vmId) {
    return new DiskTransfer.Plan(jobId, vmId, "hv-01", 3, SyncMode.TRACKED, SyncRole.TARGET,
        "s", "d", 0).resumable("p2");
  }

  private static LaneCheckpoint atBlock(long watermark) {
    return LaneCheckpoint.newBuilder().setLane(0).setWatermarkBlock(watermark)
        .setChain(ByteString.copyFrom(new byte[32])).build();
  }

  @Test
  void theVmsOfOneJobKeepApartAndTheJobsEndForgetsThemAll() throws Exception {
    try (ControllerStore store = ControllerStore.open(dir.resolve("store.db"))) {
      DurableLanes lanes = new DurableLanes(store.checkpointRecords());
      DiskTransfer.Plan app = phase2("job-1", "app");
      DiskTransfer.Plan db = phase2("job-1", "db");

      lanes.record(app, 0, atBlock(256));
      assertEquals(Map.of(), lanes.load(db, 0), "db starts at its own beginning");
      assertEquals(Map.of(0, atBlock(256)), lanes.load(app, 0));

      lanes.record(db, 0, atBlock(128));
      lanes.forget(app, 0);
      assertEquals(Map.of(0, atBlock(128)), lanes.load(db, 0), "app's end keeps db's");
      assertEquals(Map.of(), lanes.load(phase2("job-2", "db"), 0), "another job's own");
      assertEquals(Map.of(), lanes.load(db, 1), "another disk's own");

      lanes.forgetJob("job-1");
      assertEquals(Map.of(), lanes.load(db, 0));
    }
  }
}
