package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.codec.Codec;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.controller.tuning.TransferSettings;
import io.failback.proto.v1.Compression;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.SyncRole;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A transfer's settings reach every session's parameters. */
class TransferLabelsTest {
  private static final DiskTransfer.Plan PLAN = new DiskTransfer.Plan("job", "vm", "hv-01", 1,
      SyncMode.FULL, SyncRole.TARGET, "s", "", 7);
  private static final DiskTransfer.Disk DISK = new DiskTransfer.Disk(0, "d0.vhdx",
      new MemoryBlockDevice(new byte[1 << 20], 512, false), null);

  @Test
  void zstdAndItsLevelAndTheLanes() {
    SyncParameters zstd = TransferLabels.parameters(PLAN, DISK,
        new TransferSettings(Codec.zstd(9), 5, "asked"));
    assertEquals(Compression.COMPRESSION_ZSTD, zstd.getCompression());
    assertEquals(9, zstd.getCompressionLevel());
    assertEquals(5, zstd.getLaneCount());
    // An agent that does not know compression methods reads the flag.
    assertTrue(zstd.getCompress());
  }

  @Test
  void lz4AndNone() {
    SyncParameters lz4 = TransferLabels.parameters(PLAN, DISK,
        new TransferSettings(Codec.LZ4, 2, "chosen"));
    assertEquals(Compression.COMPRESSION_LZ4, lz4.getCompression());
    assertEquals(0, lz4.getCompressionLevel());
    SyncParameters none = TransferLabels.parameters(PLAN, DISK,
        new TransferSettings(Codec.NONE, 1, "asked"));
    assertEquals(Compression.COMPRESSION_NONE, none.getCompression());
    assertFalse(none.getCompress());
    assertEquals(1, none.getLaneCount());
  }

  @Test
  void everyModeKeepsTheLargestWindowOfBatches() {
    for (SyncMode mode : List.of(SyncMode.DELTA, SyncMode.FULL, SyncMode.TRACKED)) {
      assertEquals(64, parametersOf(mode).getWindowBatches(), mode.name());
    }
  }

  @Test
  void everySessionClosesRunsOfBatchesWithOneEnd() {
    for (SyncMode mode : List.of(SyncMode.DELTA, SyncMode.FULL, SyncMode.TRACKED)) {
      assertEquals(mode == SyncMode.TRACKED ? 4096 : 256,
          parametersOf(mode).getBatchesPerEnd(), mode.name());
    }
  }

  private static SyncParameters parametersOf(SyncMode mode) {
    DiskTransfer.Plan plan = new DiskTransfer.Plan("job", "vm", "hv-01", 1, mode,
        SyncRole.TARGET, "s", "", 7);
    return TransferLabels.parameters(plan, DISK, new TransferSettings(Codec.LZ4, 2, "chosen"));
  }
}
