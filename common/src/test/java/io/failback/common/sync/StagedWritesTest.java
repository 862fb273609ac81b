package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A full download onto a disk that preserves what it overwrites (the on-prem disk with its undo
 * journal) writes, and so preserves, only the blocks that differ, each preserved before it is
 * written; the disk ends equal to the source as before. A disk without a journal still gets
 * every block written.
 */
class StagedWritesTest {
  private static final int BLOCK = 4096;
  private static final int BLOCKS = 300;

  /** A disk with an undo journal: it records what was announced and checks each overwrite. */
  private static final class JournalingDisk extends MemoryBlockDevice {
    final BitSet announced = new BitSet();
    final List<String> unannounced = new ArrayList<>();
    long zeroed;

    JournalingDisk(byte[] data) {
      super(data, 512, true);
    }

    @Override
    public synchronized void aboutToOverwrite(long[] offsets, long[] lengths) {
      for (int i = 0; i < offsets.length; i++) {
        announced.set((int) (offsets[i] / BLOCK), (int) ((offsets[i] + lengths[i]) / BLOCK));
      }
    }

    @Override
    public boolean preservesOverwrites() {
      return true;
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src) throws IOException {
      check(offset, src.remaining());
      super.write(offset, src);
    }

    @Override
    public synchronized void writeZeroes(long offset, long length) throws IOException {
      check(offset, length);
      zeroed += length;
      super.writeZeroes(offset, length);
    }

    private void check(long offset, long length) {
      int first = (int) (offset / BLOCK);
      int end = (int) ((offset + length) / BLOCK);
      if (announced.get(first, end).cardinality() != end - first) {
        unannounced.add(offset + "+" + length);
      }
    }
  }

  private static SyncParameters full() {
    return SyncParameters.newBuilder().setSessionId("full").setMode(SyncMode.FULL)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(3).setBlockSize(BLOCK)
        .setBlocksPerBatch(16).setDiskSize(BLOCKS * BLOCK).setLaneCount(2).setWindowBatches(2)
        .setCompress(true).setRereadWritten(true).build();
  }

  @Test
  void onlyTheBlocksThatDifferAreWrittenAndEachIsPreservedFirst() throws Throwable {
    byte[] source = new byte[BLOCKS * BLOCK];
    new Random(1).nextBytes(source);
    Arrays.fill(source, 40 * BLOCK, 60 * BLOCK, (byte) 0); // zeros on both sides
    Arrays.fill(source, 100 * BLOCK, 104 * BLOCK, (byte) 0); // zeros over data on the target
    byte[] target = source.clone();
    new Random(2).nextBytes(target);
    Arrays.fill(target, 40 * BLOCK, 60 * BLOCK, (byte) 0);
    System.arraycopy(source, 0, target, 0, 10 * BLOCK); // the first ten blocks: equal
    System.arraycopy(source, 120 * BLOCK, target, 120 * BLOCK, 170 * BLOCK); // 120..289: equal
    // Differ: 10..39 and 60..119 (100..103 to zeros) and 290..299 = 100 blocks.
    JournalingDisk disk = new JournalingDisk(target);

    SyncHarness sync = new SyncHarness();
    sync.run(full(), new MemoryBlockDevice(source, 512, false), disk,
        MemoryTransport.reliable());

    assertArrayEquals(source, disk.contents());
    assertEquals(List.of(), disk.unannounced, "written before it was preserved");
    BitSet differing = new BitSet();
    differing.set(10, 40);
    differing.set(60, 120);
    differing.set(290, 300);
    assertEquals(differing, disk.announced, "preserved: exactly the blocks that differ");
    assertEquals(96L * BLOCK, disk.bytesWritten.get(), "data written: the 96 differing blocks");
    assertEquals(4L * BLOCK, disk.zeroed, "zeros written: the 4 blocks of data zeroed");
    SyncProgress.Snapshot applied = sync.targetProgress.snapshot();
    assertEquals(BLOCKS - 100, applied.blocksEqual(), applied.toString());
    assertEquals(96, applied.blocksSent(), applied.toString());
    assertEquals(4, applied.blocksZero(), applied.toString());
    assertEquals(sync.sourceResult.diskDigestHex(), sync.targetResult.diskDigestHex());
    SyncProgress.Snapshot sent = sync.sourceProgress.snapshot();
    assertEquals(BLOCKS, sent.blocksSent() + sent.blocksZero(), "the wire still carries all");
    assertEquals(BLOCKS - 100, sent.blocksEqual(),
        "the source learns from the acknowledgements which blocks the target held");
  }

  @Test
  void aDiskWithoutAJournalGetsEveryBlockWritten() throws Throwable {
    byte[] source = new byte[BLOCKS * BLOCK];
    new Random(3).nextBytes(source);
    MemoryBlockDevice disk = new MemoryBlockDevice(source.clone(), 512, true);

    SyncHarness sync = new SyncHarness();
    sync.run(full(), new MemoryBlockDevice(source, 512, false), disk,
        MemoryTransport.reliable());

    assertArrayEquals(source, disk.contents());
    assertEquals((long) BLOCKS * BLOCK, disk.bytesWritten.get(), "every block written");
    assertEquals(0, sync.sourceProgress.snapshot().blocksEqual());
  }
}
