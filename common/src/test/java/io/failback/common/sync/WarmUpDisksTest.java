package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.disk.BlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The synthetic disks of a warm-up session, and a whole session between them. */
class WarmUpDisksTest {
  private static final int BLOCK = 4096;
  private static final int BLOCKS = 256;
  private static final long SIZE = (long) BLOCKS * BLOCK;

  @Test
  void eachKindOfBlockHoldsWhatTheSessionMustMeet() throws IOException {
    BlockDevice source = WarmUpDisks.source(SIZE, BLOCK);
    BlockDevice target = WarmUpDisks.scratchTarget(SIZE, BLOCK);
    byte[] zeros = new byte[BLOCK];
    for (int index = 0; index < 8; index++) {
      byte[] sent = block(source, index);
      byte[] held = block(target, index);
      switch (index % 4) {
        case 0 -> {
          assertFalse(java.util.Arrays.equals(zeros, sent), "data on the source");
          assertArrayEquals(zeros, held, "the target holds zeros: written");
        }
        case 1 -> assertArrayEquals(sent, held, "held already: left unwritten");
        case 2 -> {
          assertArrayEquals(zeros, sent, "a zero block");
          assertArrayEquals(zeros, held);
        }
        default -> {
          assertFalse(java.util.Arrays.equals(zeros, held));
          assertFalse(java.util.Arrays.equals(sent, held), "other bytes: written");
        }
      }
    }
    assertFalse(java.util.Arrays.equals(block(source, 0), block(source, 4)),
        "blocks differ from each other, as a disk's do");
  }

  @Test
  void aReadWithinBlocksReturnsTheSameBytesAsWholeBlocks() throws IOException {
    BlockDevice source = WarmUpDisks.source(SIZE, BLOCK);
    ByteBuffer whole = ByteBuffer.allocate(3 * BLOCK);
    source.read(BLOCK, whole);
    ByteBuffer part = ByteBuffer.allocate(BLOCK + 1024);
    source.read(BLOCK + 512, part);
    assertArrayEquals(java.util.Arrays.copyOfRange(whole.array(), 512, 512 + BLOCK + 1024),
        part.array());
  }

  @Test
  void theTargetKeepsNothingAndTheSourceTakesNoWrite() throws IOException {
    BlockDevice source = WarmUpDisks.source(SIZE, BLOCK);
    BlockDevice target = WarmUpDisks.scratchTarget(SIZE, BLOCK);
    byte[] before = block(target, 0);
    target.write(0, ByteBuffer.wrap(block(source, 0)));
    target.writeZeroes(BLOCK, BLOCK);
    assertArrayEquals(before, block(target, 0));
    assertArrayEquals(block(WarmUpDisks.scratchTarget(SIZE, BLOCK), 1), block(target, 1));
    assertTrue(target.preservesOverwrites(), "compared as a VM's disk under its undo journal");
    assertFalse(source.writable());
    assertThrows(IOException.class, () -> source.write(0, ByteBuffer.allocate(BLOCK)));
    assertThrows(IllegalArgumentException.class, () -> target.read(SIZE - 512,
        ByteBuffer.allocate(1024)));
    assertThrows(IllegalArgumentException.class, () -> WarmUpDisks.source(1000, BLOCK));
  }

  @Test
  void aWholeSessionSettlesEveryBlockOfEachKindAndWritesNothing() throws Throwable {
    MemoryTransport transport = MemoryTransport.reliable();
    SyncHarness session = new SyncHarness();
    session.run(SyncParameters.newBuilder().setSessionId("warm").setMode(SyncMode.FULL)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(5).setBlockSize(BLOCK)
        .setBlocksPerBatch(16).setDiskSize(SIZE).setLaneCount(2).setWindowBatches(4)
        .setBatchesPerEnd(8).build(), WarmUpDisks.source(SIZE, BLOCK),
        WarmUpDisks.scratchTarget(SIZE, BLOCK), transport);

    SyncProgress.Snapshot sent = session.sourceProgress.snapshot();
    assertEquals(BLOCKS, sent.blocksSettled());
    assertEquals(BLOCKS / 4 * 3, sent.blocksSent(), "kinds 0, 1 and 3 carry data");
    assertEquals(BLOCKS / 4, sent.blocksZero());
    assertEquals(BLOCKS / 4 * 2, sent.blocksEqual(), "kinds 1 and 2 are held already");
    assertEquals(BLOCKS / 4 * 3, transport.count(SyncFrame::hasBlock));
    // The target's digest is of what it was sent; it holds none of it.
    assertEquals(session.sourceResult.diskDigestHex(), session.targetResult.diskDigestHex());
  }

  private static byte[] block(BlockDevice device, long index) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(BLOCK);
    device.read(index * BLOCK, buffer);
    return buffer.array();
  }
}
