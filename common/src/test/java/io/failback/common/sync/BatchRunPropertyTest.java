package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Runs of whole batches ({@code batches_per_end}) over generated disks: of zeros in FULL and
 * DELTA sessions, untouched since the digest sets in TRACKED ones. Whatever the source's holes
 * or writes, what the target held, the run length, the window and cut links, the target ends
 * equal to the source with the same digest; on a link that holds, each lane closes exactly
 * the runs a plain model predicts, and the session moves exactly the blocks that differed.
 */
class BatchRunPropertyTest {
  private static final int BLOCK = 4096;
  private static final int BATCH = 4;
  private static final int BATCHES = 24;
  private static final int LANES = 2;

  /**
   * @param sourceBatches per batch of the source: 0 a hole, 1 data
   * @param targetBatches per batch of the target: 0 zeros (a hole), 1 what the source holds,
   *     2 other data, 3 what the source holds with one block changed
   */
  @Property(tries = 100)
  void theTargetEndsAsTheSourceWithOneEndPerRunOfZeroBatches(
      @ForAll @Size(BATCHES) List<@IntRange(min = 0, max = 1) Integer> sourceBatches,
      @ForAll @Size(BATCHES) List<@IntRange(min = 0, max = 3) Integer> targetBatches,
      @ForAll boolean delta, @ForAll @IntRange(min = 0, max = 6) int perEnd,
      @ForAll @IntRange(min = 1, max = 8) int window, @ForAll boolean cut,
      @ForAll long seed) throws Throwable {
    Random random = new Random(seed);
    byte[] source = new byte[BATCHES * BATCH * BLOCK];
    byte[] target = new byte[source.length];
    for (int batch = 0; batch < BATCHES; batch++) {
      if (sourceBatches.get(batch) == 1) {
        fill(random, source, batch * BATCH, BATCH);
      }
      switch (targetBatches.get(batch)) {
        case 1 -> copy(source, target, batch);
        case 2 -> fill(random, target, batch * BATCH, BATCH);
        case 3 -> {
          copy(source, target, batch);
          fill(random, target, batch * BATCH + random.nextInt(BATCH), 1);
        }
        default -> { }
      }
    }
    int differing = differingBlocks(source, target);
    byte[] expected = source.clone();
    AtomicInteger opens = new AtomicInteger();
    MemoryTransport transport = cut
        ? new MemoryTransport(() -> opens.incrementAndGet() <= 3 ? 5 : Integer.MAX_VALUE)
        : MemoryTransport.reliable();
    SyncHarness harness = new SyncHarness();
    harness.run(parameters(delta, perEnd, window),
        MemoryBlockDevice.knowingZeros(source, false),
        MemoryBlockDevice.knowingZeros(target, true), transport);

    assertArrayEquals(expected, target);
    assertEquals(harness.sourceResult.diskDigestHex(), harness.targetResult.diskDigestHex());
    if (cut) {
      return;
    }
    int[] ends = modelEnds(sourceBatches, Math.max(1, perEnd));
    assertEquals(ends[0], transport.count(SyncFrame::hasBatchEnd), "batch ends");
    assertEquals(ends[0], transport.count(SyncFrame::hasAck), "acknowledgements");
    SyncProgress.Snapshot sent = harness.sourceProgress.snapshot();
    if (delta) {
      assertEquals(ends[1], transport.count(SyncFrame::hasChecksums), "checksum batches");
      assertEquals(differing, sent.blocksSent() + sent.blocksZero(), "blocks moved");
      assertEquals(BATCHES * BATCH - differing, sent.blocksEqual(), "blocks equal");
    } else {
      assertEquals(BATCHES * BATCH, sent.blocksSent() + sent.blocksZero(), "blocks moved");
    }
  }

  /**
   * @param written per batch, after both digest sets were recorded: 0 untouched, 1 one block
   *     written with new bytes, 2 one block written with the bytes it held (the host's tracking
   *     reports it; the digest says it is the same)
   */
  @Property(tries = 60)
  void aTrackedSessionSendsWhatChangedWithOneEndPerRunOfUntouchedBatches(
      @ForAll @Size(BATCHES) List<@IntRange(min = 0, max = 2) Integer> written,
      @ForAll @IntRange(min = 0, max = 6) int perEnd,
      @ForAll @IntRange(min = 1, max = 8) int window, @ForAll boolean cut,
      @ForAll long seed) throws Throwable {
    Random random = new Random(seed);
    byte[] source = new byte[BATCHES * BATCH * BLOCK];
    random.nextBytes(source);
    byte[] target = new byte[source.length];
    Path sets = Files.createTempDirectory("tracked-runs");
    try {
      SyncParameters recorded = parameters(true, 0, 8).toBuilder().setDigestSet("disk-0")
          .build();
      new SyncHarness().run(recorded, new MemoryBlockDevice(source, 512, false),
          new MemoryBlockDevice(target, 512, true), MemoryTransport.reliable(),
          new DiskSync.Options(new DigestSets(sets.resolve("source")), null),
          new DiskSync.Options(new DigestSets(sets.resolve("target")), null));
      BitSet changed = new BitSet();
      List<Integer> touched = new ArrayList<>();
      int newBytes = 0;
      for (int batch = 0; batch < BATCHES; batch++) {
        int block = batch * BATCH + random.nextInt(BATCH);
        if (written.get(batch) == 1) {
          fill(random, source, block, 1);
          newBytes++;
        }
        if (written.get(batch) != 0) {
          changed.set(block);
        }
        touched.add(written.get(batch) == 0 ? 0 : 1);
      }
      AtomicInteger opens = new AtomicInteger();
      MemoryTransport transport = cut
          ? new MemoryTransport(() -> opens.incrementAndGet() <= 3 ? 5 : Integer.MAX_VALUE)
          : MemoryTransport.reliable();
      SyncHarness harness = new SyncHarness();
      harness.run(recorded.toBuilder().setSessionId("tracked").setMode(SyncMode.TRACKED)
              .setWindowBatches(window).setBatchesPerEnd(perEnd).build(),
          new MemoryBlockDevice(source, 512, false), new MemoryBlockDevice(target, 512, true),
          transport, new DiskSync.Options(new DigestSets(sets.resolve("source")), changed),
          new DiskSync.Options(new DigestSets(sets.resolve("target")), null));

      assertArrayEquals(source, target);
      assertEquals(harness.sourceResult.diskDigestHex(), harness.targetResult.diskDigestHex());
      if (!cut) {
        int[] ends = modelEnds(touched, Math.max(1, perEnd));
        assertEquals(ends[0], transport.count(SyncFrame::hasBatchEnd), "batch ends");
        assertEquals(ends[0], transport.count(SyncFrame::hasAck), "acknowledgements");
        SyncProgress.Snapshot sent = harness.sourceProgress.snapshot();
        assertEquals(newBytes, sent.blocksSent() + sent.blocksZero(), "blocks sent");
      }
    } finally {
      MoreFiles.deleteRecursively(sets, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }

  /**
   * The batch ends the session needs, and how many of them close a single batch: per lane,
   * from each batch start, a run of up to {@code maxBatches} batches marked 0 (zeros on the
   * source, or untouched since the digest sets) when it is two batches or more, else the
   * batch alone.
   */
  private static int[] modelEnds(List<Integer> sourceBatches, int maxBatches) {
    int ends = 0;
    int singles = 0;
    int perLane = BATCHES / LANES;
    for (int lane = 0; lane < LANES; lane++) {
      int end = (lane + 1) * perLane;
      for (int batch = lane * perLane; batch < end; ) {
        int run = 0;
        while (run < maxBatches && batch + run < end && sourceBatches.get(batch + run) == 0) {
          run++;
        }
        ends++;
        if (run >= 2) {
          batch += run;
        } else {
          singles++;
          batch++;
        }
      }
    }
    return new int[] {ends, singles};
  }

  private static int differingBlocks(byte[] source, byte[] target) {
    int differing = 0;
    for (int block = 0; block < BATCHES * BATCH; block++) {
      if (!java.util.Arrays.equals(source, block * BLOCK, (block + 1) * BLOCK, target,
          block * BLOCK, (block + 1) * BLOCK)) {
        differing++;
      }
    }
    return differing;
  }

  private static void copy(byte[] source, byte[] target, int batch) {
    System.arraycopy(source, batch * BATCH * BLOCK, target, batch * BATCH * BLOCK,
        BATCH * BLOCK);
  }

  private static void fill(Random random, byte[] disk, int firstBlock, int blocks) {
    byte[] data = new byte[blocks * BLOCK];
    random.nextBytes(data);
    System.arraycopy(data, 0, disk, firstBlock * BLOCK, data.length);
  }

  private static SyncParameters parameters(boolean delta, int perEnd, int window) {
    return SyncParameters.newBuilder().setSessionId("run-properties")
        .setMode(delta ? SyncMode.DELTA : SyncMode.FULL)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(5).setBlockSize(BLOCK)
        .setBlocksPerBatch(BATCH).setDiskSize((long) BATCHES * BATCH * BLOCK)
        .setLaneCount(LANES).setWindowBatches(window).setBatchesPerEnd(perEnd).build();
  }
}
