package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.BatchEnd;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A TRACKED session closes runs of batches the guest did not write with one batch end each
 * ({@code batches_per_end}): one acknowledgement and one round trip where there was one per
 * batch, the whole disk still proven by the digest chains, and a target that takes nothing
 * else for such an end.
 */
class BatchRunTest {
  private static final int BLOCK = 4096;
  private static final int BATCH = 4;
  /** 100 batches on 2 lanes: lane 0 holds batches 0..49, lane 1 batches 50..99. */
  private static final int BLOCKS = 100 * BATCH;
  /** Written after phase 1: in batches 10, 11 (lane 0) and 70 (lane 1). */
  private static final int[] WRITTEN = {41, 45, 283};

  @TempDir Path dir;
  private byte[] source;
  private byte[] target;
  private final BitSet changed = new BitSet();

  /** Phase 1 records both digest sets; then the guest writes {@link #WRITTEN}. */
  @BeforeEach
  void recordThenWrite() throws Throwable {
    Random random = new Random(17);
    source = new byte[BLOCKS * BLOCK];
    random.nextBytes(source);
    target = new byte[source.length];
    new SyncHarness().run(parameters(SyncMode.DELTA, 0), new MemoryBlockDevice(source, 512, true),
        new MemoryBlockDevice(target, 512, true), MemoryTransport.reliable(), sets("source", null),
        sets("target", null));
    for (int block : WRITTEN) {
      source[block * BLOCK + 100] ^= 0x5a;
      changed.set(block);
    }
  }

  @ParameterizedTest
  @CsvSource({
      "0, 100", // one end per batch, as before the parameter
      "1, 100",
      // Lane 0: [0,10) in 8+2, 10, 11, [12,50) in 8+8+8+8+6; lane 1: [50,70) in 8+8+4, 70,
      // [71,100) in 8+8+8+5.
      "8, 17",
      // Lane 0: [0,10), 10, 11, [12,50); lane 1: [50,70), 70, [71,100).
      "64, 7",
      "65536, 7"})
  void runsOfUnwrittenBatchesEndWithOneBatchEndAndOneAcknowledgementEach(int perEnd,
      int ends) throws Throwable {
    MemoryTransport transport = MemoryTransport.reliable();
    SyncHarness phaseTwo = tracked(perEnd, transport);

    assertArrayEquals(source, target);
    assertEquals(ends, transport.count(SyncFrame::hasBatchEnd), "batch ends");
    assertEquals(ends, transport.count(SyncFrame::hasAck), "acknowledgements");
    assertEquals(WRITTEN.length, transport.count(SyncFrame::hasBlock), "blocks");
    assertEquals(WRITTEN.length, phaseTwo.sourceProgress.snapshot().blocksSent());
    assertEquals(phaseTwo.sourceResult.diskDigestHex(), phaseTwo.targetResult.diskDigestHex());
    assertEquals(BLOCKS, phaseTwo.targetProgress.snapshot().blocksSettled());
  }

  @Test
  void aCutLinkResumesFromTheEndOfTheLastAcknowledgedRun() throws Throwable {
    AtomicInteger opens = new AtomicInteger();
    MemoryTransport transport = new MemoryTransport(
        () -> opens.incrementAndGet() <= 4 ? 3 : Integer.MAX_VALUE);
    SyncHarness phaseTwo = tracked(8, transport);

    assertArrayEquals(source, target);
    assertTrue(transport.cuts.get() > 0, "no link was cut; the test proves nothing");
    assertEquals(List.of(), transport.redone, "work redone below a durable watermark");
    assertEquals(phaseTwo.sourceResult.diskDigestHex(), phaseTwo.targetResult.diskDigestHex());
  }

  /** A hostile source's first batch end on lane 0, and what the target says to it. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // Two batches where the session allows one per end.
      "0  | 8  | batch end [0, +8) is not up to 1 whole batches",
      "64 | 39 | batch end [0, +39) is not up to 64 whole batches", // not whole batches
      "8  | 36 | batch end [0, +36) is not up to 8 whole batches", // more than allowed
      "64 | -1 | batch end [0, +4294967295) is not up to 64"}) // past the lane, as uint32
  void aRunEndTheSessionDoesNotAllowIsRefusedBeforeAnyWrite(int perEnd, int blocks,
      String why) {
    SyncException e = refused(perEnd, end -> end.toBuilder().setBlockCount(blocks).build());
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }

  @Test
  void aRunEndOverABatchThatGotABlockIsRefused() throws Throwable {
    // Batch 10's end, once its block arrived, claims batch 11 too (which the guest wrote).
    SyncException e = refusedAt(64, end -> end.getFirstBlock() == 10 * BATCH,
        end -> end.toBuilder().setBlockCount(2 * BATCH).build());
    assertTrue(e.getMessage().contains(
        "blocks [40, +8) are outside the batch being applied [40, +4)"), e.getMessage());
  }

  @Test
  void noMoreBatchesPerEndThanTheLimit() {
    SyncException many = assertThrows(SyncException.class, () -> SessionGeometry.of(
        parameters(SyncMode.TRACKED, SessionGeometry.MAX_BATCHES_PER_END + 1), 512));
    assertTrue(many.getMessage().contains("batches_per_end 65537 must be 0..65536"),
        many.getMessage());
    SyncException blocks = assertThrows(SyncException.class, () -> SessionGeometry.of(
        parameters(SyncMode.TRACKED, 65536).toBuilder().setBlocksPerBatch(65536).build(), 512));
    assertTrue(blocks.getMessage().contains("close at most 2147483647 blocks"),
        blocks.getMessage());
  }

  private SyncHarness tracked(int perEnd, MemoryTransport transport) throws Throwable {
    return tracked(parameters(SyncMode.TRACKED, perEnd), transport);
  }

  private SyncHarness tracked(SyncParameters parameters, MemoryTransport transport)
      throws Throwable {
    SyncHarness harness = new SyncHarness();
    harness.run(parameters, new MemoryBlockDevice(source, 512, true),
        new MemoryBlockDevice(target, 512, true), transport, sets("source", changed),
        sets("target", null));
    return harness;
  }

  /**
   * Changes lane 0's first batch end as a hostile source would: nothing of lane 0 may be
   * written (lane 1 runs on until the session fails).
   */
  private SyncException refused(int perEnd, UnaryOperator<BatchEnd> change) {
    byte[] before = target.clone();
    SyncException e = refusedAt(perEnd, end -> end.getFirstBlock() == 0, change);
    int laneZero = BLOCKS / 2 * BLOCK;
    assertArrayEquals(Arrays.copyOf(before, laneZero), Arrays.copyOf(target, laneZero),
        "a refused batch end changed lane 0");
    return e;
  }

  private SyncException refusedAt(int perEnd, Predicate<BatchEnd> which,
      UnaryOperator<BatchEnd> change) {
    return TamperedFrame.refused(frame -> frame.hasBatchEnd() && which.test(frame.getBatchEnd()),
        frame -> frame.toBuilder().setBatchEnd(change.apply(frame.getBatchEnd())).build(),
        transport -> tracked(parameters(SyncMode.TRACKED, perEnd).toBuilder()
            .setWindowBatches(8).build(), transport));
  }

  private DiskSync.Options sets(String side, BitSet changedBlocks) {
    return new DiskSync.Options(new DigestSets(dir.resolve(side)), changedBlocks);
  }

  private static SyncParameters parameters(SyncMode mode, int perEnd) {
    return SyncParameters.newBuilder().setSessionId("runs-" + mode).setMode(mode)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(5).setBlockSize(BLOCK)
        .setBlocksPerBatch(BATCH).setDiskSize((long) BLOCKS * BLOCK).setLaneCount(2)
        .setWindowBatches(64).setDigestSet("disk-0").setBatchesPerEnd(perEnd).build();
  }
}
