package io.failback.controller.lifecycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.proto.v1.DiskFormat;
import io.failback.proto.v1.DiskType;
import io.failback.proto.v1.VirtualDisk;
import org.junit.jupiter.api.Test;

/** How much a failback's writes may grow an on-prem disk, at most. */
class UndoSpaceTest {
  private static final long MIB = 1 << 20;

  private static VirtualDisk dynamic(long virtual, long file) {
    return VirtualDisk.newBuilder().setFormat(DiskFormat.VHDX).setType(DiskType.DYNAMIC)
        .setVirtualSizeBytes(virtual).setFileSizeBytes(file).setBlockSizeBytes(32 << 20)
        .build();
  }

  @Test
  void eachRegionMayAllocateABlockButNeverMoreThanTheDiskHasUnallocated() {
    // 3 regions of 64 KiB: 3 blocks of 32 MiB at most.
    assertEquals(96 * MIB, UndoSpace.growth(dynamic(40L << 30, 9L << 30), 3 * 65536 - 1));
    // Much written: the unallocated rest (31 GiB) and a block for the metadata, no more.
    assertEquals((31L << 30) + 32 * MIB,
        UndoSpace.growth(dynamic(40L << 30, 9L << 30), 20L << 30));
    // A file the host did not measure: the whole disk at most.
    assertEquals(40L << 30, UndoSpace.growth(dynamic(40L << 30, 0), 40L << 30));
    assertEquals(0, UndoSpace.growth(dynamic(40L << 30, 9L << 30), 0));
    assertEquals(0, UndoSpace.growth(dynamic(40L << 30, 9L << 30).toBuilder()
        .setType(DiskType.FIXED).build(), 20L << 30));
    assertEquals(0, UndoSpace.growth(VirtualDisk.newBuilder().setFormat(DiskFormat.RAW)
        .setType(DiskType.FIXED).setVirtualSizeBytes(16 * MIB).build(), 16 * MIB));
  }
}
