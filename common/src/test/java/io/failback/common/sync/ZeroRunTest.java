package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.BlockPayload;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A FULL session sends each run of whole batches its source knows to be zeros (a thin disk's
 * holes) as one zero range closed by one batch end ({@code batches_per_end}): one
 * acknowledgement and one round trip where there was one per batch.
 */
class ZeroRunTest {
  private static final int BLOCK = 4096;
  private static final int BATCH = 4;
  /** 100 batches on 2 lanes: lane 0 holds batches 0..49, lane 1 batches 50..99. */
  private static final int BLOCKS = 100 * BATCH;
  /** The only batches with data: 10, 11 (lane 0) and 70 (lane 1); the rest are holes. */
  private static final int[] DATA_BATCHES = {10, 11, 70};

  private final byte[] source = new byte[BLOCKS * BLOCK];
  /** The target held other data everywhere: every hole must become zeros there. */
  private final byte[] target = new byte[BLOCKS * BLOCK];

  ZeroRunTest() {
    Random random = new Random(23);
    for (int batch : DATA_BATCHES) {
      byte[] data = new byte[BATCH * BLOCK];
      random.nextBytes(data);
      System.arraycopy(data, 0, source, batch * BATCH * BLOCK, data.length);
    }
    random.nextBytes(target);
  }

  @ParameterizedTest
  @CsvSource({
      "0, 100, 0", // one end per batch, as before the parameter: a zero range each
      // Lane 0: [0,10) in 8+2, 10, 11, [12,50) in 8+8+8+8+6; lane 1: [50,70) in 8+8+4, 70,
      // [71,100) in 8+8+8+5.
      "8, 17, 14",
      // Lane 0: [0,10), 10, 11, [12,50); lane 1: [50,70), 70, [71,100).
      "64, 7, 4"})
  void runsOfZeroBatchesEndWithOneZeroRangeAndOneBatchEndEach(int perEnd, int ends,
      int zeroRanges) throws Throwable {
    MemoryTransport transport = MemoryTransport.reliable();
    SyncHarness full = full(perEnd, transport);

    assertArrayEquals(source, target);
    assertEquals(ends, transport.count(SyncFrame::hasBatchEnd), "batch ends");
    assertEquals(ends, transport.count(SyncFrame::hasAck), "acknowledgements");
    assertEquals(perEnd == 0 ? 97 : zeroRanges, transport.count(SyncFrame::hasZeros),
        "zero ranges");
    assertEquals(DATA_BATCHES.length * BATCH, full.sourceProgress.snapshot().blocksSent());
    assertEquals(BLOCKS - DATA_BATCHES.length * BATCH,
        full.sourceProgress.snapshot().blocksZero());
    assertEquals(full.sourceResult.diskDigestHex(), full.targetResult.diskDigestHex());
    assertEquals(BLOCKS, full.targetProgress.snapshot().blocksSettled());
  }

  @Test
  void aCutLinkResumesFromTheEndOfTheLastAcknowledgedRun() throws Throwable {
    AtomicInteger opens = new AtomicInteger();
    MemoryTransport transport = new MemoryTransport(
        () -> opens.incrementAndGet() <= 4 ? 3 : Integer.MAX_VALUE);
    SyncHarness full = full(8, transport);

    assertArrayEquals(source, target);
    assertTrue(transport.cuts.get() > 0, "no link was cut; the test proves nothing");
    assertEquals(List.of(), transport.redone, "work redone below a durable watermark");
    assertEquals(full.sourceResult.diskDigestHex(), full.targetResult.diskDigestHex());
  }

  @Test
  void aZeroRangeOfWholeBatchesInASessionThatAllowsNoneIsRefused() {
    // One end per batch: the source's first zero range covers batch 0 only; made two.
    SyncException e = refused(0, SyncFrame::hasZeros, frame -> frame.toBuilder()
        .setZeros(frame.getZeros().toBuilder().setBlockCount(2 * BATCH)).build());
    assertTrue(e.getMessage().contains("zero range [0, +8) is not up to 1 whole batches"),
        e.getMessage());
  }

  @Test
  void aBlockBeforeTheBatchEndOfAZeroRunIsRefused() {
    // The run's batch end [0, +40) turned into a block of batch 10, which comes next.
    SyncException e = refused(64, SyncFrame::hasBatchEnd, frame -> SyncFrame.newBuilder()
        .setBlock(BlockPayload.newBuilder().setBlockIndex(40)).build());
    assertTrue(e.getMessage().contains(
        "blocks [40, +1) before the batch end of the zero range [0, 40)"), e.getMessage());
  }

  @Test
  void aBatchEndThatDoesNotCloseTheZeroRunIsRefused() {
    SyncException e = refused(64, SyncFrame::hasBatchEnd, frame -> frame.toBuilder()
        .setBatchEnd(frame.getBatchEnd().toBuilder().setBlockCount(9 * BATCH)).build());
    assertTrue(e.getMessage().contains(
        "batch end [0, +36) does not close the zero range [0, 40)"), e.getMessage());
  }

  private SyncHarness full(int perEnd, MemoryTransport transport) throws Throwable {
    return full(parameters(perEnd), transport);
  }

  private SyncHarness full(SyncParameters parameters, MemoryTransport transport)
      throws Throwable {
    return SyncHarness.fromThinDisk(parameters, source, target, transport);
  }

  /** Changes lane 0's first frame that {@code which} picks, as a hostile source would. */
  private SyncException refused(int perEnd, Predicate<SyncFrame> which,
      UnaryOperator<SyncFrame> change) {
    return TamperedFrame.refused(
        frame -> which.test(frame) && TamperedFrame.firstBlockOf(frame) < BLOCKS / 2, change,
        transport -> full(parameters(perEnd).toBuilder().setWindowBatches(8).build(),
            transport));
  }


  private static SyncParameters parameters(int perEnd) {
    return SyncParameters.newBuilder().setSessionId("zero-runs").setMode(SyncMode.FULL)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(9).setBlockSize(BLOCK)
        .setBlocksPerBatch(BATCH).setDiskSize((long) BLOCKS * BLOCK).setLaneCount(2)
        .setWindowBatches(64).setBatchesPerEnd(perEnd).build();
  }
}
