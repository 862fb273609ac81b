package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.failback.controller.store.ControllerStore;
import io.failback.controller.tuning.BlockSize;
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

      lanes.record(app, 0, 2, atBlock(256));
      assertEquals(Map.of(), lanes.load(db, 0, 2), "db starts at its own beginning");
      assertEquals(Map.of(0, atBlock(256)), lanes.load(app, 0, 2));

      lanes.record(db, 0, 2, atBlock(128));
      lanes.forget(app, 0);
      assertEquals(Map.of(0, atBlock(128)), lanes.load(db, 0, 2), "app's end keeps db's");
      assertEquals(Map.of(), lanes.load(phase2("job-2", "db"), 0, 2), "another job's own");
      assertEquals(Map.of(), lanes.load(db, 1, 2), "another disk's own");

      lanes.forgetJob("job-1");
      assertEquals(Map.of(), lanes.load(db, 0, 2));
    }
  }

  /**
   * A checkpoint holds only for the lanes it was made with: another lane count cuts the disk
   * into other ranges, and a watermark of lane 1 of two is no watermark of lane 1 of three.
   */
  @Test
  void checkpointsHoldOnlyForTheLaneCountTheyWereMadeWith() throws Exception {
    try (ControllerStore store = ControllerStore.open(dir.resolve("store.db"))) {
      DurableLanes lanes = new DurableLanes(store.checkpointRecords());
      DiskTransfer.Plan app = phase2("job-1", "app");
      lanes.record(app, 0, 2, atBlock(256));
      assertEquals(Map.of(), lanes.load(app, 0, 3), "made with 2 lanes, asked with 3");
      assertEquals(Map.of(0, atBlock(256)), lanes.load(app, 0, 2));
      lanes.record(app, 0, 3, atBlock(64));
      lanes.record(app, 1, 2, atBlock(512));
      // The pass is over: its checkpoints go, whatever lanes they were made with; another
      // disk's (d1 is no prefix of d10's key) stay.
      lanes.record(app, 10, 2, atBlock(128));
      lanes.forget(app, 0);
      lanes.forget(app, 1);
      assertEquals(Map.of(), lanes.load(app, 0, 2));
      assertEquals(Map.of(), lanes.load(app, 0, 3));
      assertEquals(Map.of(), lanes.load(app, 1, 2));
      assertEquals(Map.of(0, atBlock(128)), lanes.load(app, 10, 2));
    }
  }

  /** Watermarks count blocks: a checkpoint of 64 KiB blocks is no place in 1 MiB blocks. */
  @Test
  void checkpointsHoldOnlyForTheBlockSizeTheyWereMadeWith() throws Exception {
    try (ControllerStore store = ControllerStore.open(dir.resolve("store.db"))) {
      DurableLanes lanes = new DurableLanes(store.checkpointRecords());
      DiskTransfer.Plan standard = phase2("job-1", "app");
      DiskTransfer.Plan large = standard.withBlocks(new BlockSize(1 << 20, "asked"));
      lanes.record(standard, 0, 2, atBlock(256));
      assertEquals(Map.of(), lanes.load(large, 0, 2), "made with 64 KiB, asked with 1 MiB");
      lanes.record(large, 0, 2, atBlock(16));
      assertEquals(Map.of(0, atBlock(16)), lanes.load(large, 0, 2));
      assertEquals(Map.of(0, atBlock(256)), lanes.load(standard, 0, 2));
      lanes.forget(large, 0);
      assertEquals(Map.of(), lanes.load(large, 0, 2));
      assertEquals(Map.of(), lanes.load(standard, 0, 2), "whatever their block size");
    }
  }
}
