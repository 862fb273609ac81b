package io.failback.common.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.failback.common.testing.MemoryBlockDevice;
import io.failback.common.testing.MemoryTransport;
import io.failback.proto.v1.ChecksumBatch;
import io.failback.proto.v1.DigestAlgorithm;
import io.failback.proto.v1.SyncFrame;
import io.failback.proto.v1.SyncMode;
import io.failback.proto.v1.SyncParameters;
import io.failback.proto.v1.ZeroRange;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A DELTA session (a checksum pass: phase 1 of a failback, a protection cycle without
 * tracking) sends each run of whole batches its source knows to be zeros as one zero range and
 * one batch end, instead of a checksum batch, a wants answer and an end per batch: the target
 * zeroes what it does not hold as zeros, and leaves the rest.
 */
class DeltaZeroRunTest {
  private static final int BLOCK = 4096;
  private static final int BATCH = 4;
  /** 100 batches on 2 lanes: lane 0 holds batches 0..49, lane 1 batches 50..99. */
  private static final int BLOCKS = 100 * BATCH;
  /** The only batches with data on the source: 10, 11 (lane 0) and 70 (lane 1). */
  private static final int[] DATA_BATCHES = {10, 11, 70};

  private final byte[] source = new byte[BLOCKS * BLOCK];
  private final byte[] target = new byte[BLOCKS * BLOCK];
  private final Random random = new Random(29);

  DeltaZeroRunTest() {
    for (int batch : DATA_BATCHES) {
      fill(source, batch * BATCH, BATCH);
    }
  }

  @ParameterizedTest
  @CsvSource({
      "0, 100, 100, 97", // one checksum batch per batch: the wanted zeros of each hole batch
      // Lane 0: [0,10) in 8+2, 10, 11, [12,50) in 8+8+8+8+6; lane 1: [50,70) in 8+8+4, 70,
      // [71,100) in 8+8+8+5.
      "8, 17, 3, 14",
      // Lane 0: [0,10), 10, 11, [12,50); lane 1: [50,70), 70, [71,100).
      "64, 7, 3, 4"})
  void runsOfZeroBatchesOnTheSourceEndWithOneZeroRangeAndOneBatchEndEach(int perEnd, int ends,
      int checksumBatches, int zeroRanges) throws Throwable {
    fill(target, 0, BLOCKS); // the target holds other data everywhere
    MemoryTransport transport = MemoryTransport.reliable();
    SyncHarness delta = delta(parameters(perEnd), transport);

    assertArrayEquals(source, target);
    assertEquals(ends, transport.count(SyncFrame::hasBatchEnd), "batch ends");
    assertEquals(ends, transport.count(SyncFrame::hasAck), "acknowledgements");
    assertEquals(checksumBatches, transport.count(SyncFrame::hasChecksums), "checksum batches");
    assertEquals(zeroRanges, transport.count(SyncFrame::hasZeros), "zero ranges");
    SyncProgress.Snapshot sent = delta.sourceProgress.snapshot();
    assertEquals(DATA_BATCHES.length * BATCH, sent.blocksSent());
    assertEquals(BLOCKS - DATA_BATCHES.length * BATCH, sent.blocksZero());
    assertEquals(0, sent.blocksEqual());
    assertEquals(delta.sourceResult.diskDigestHex(), delta.targetResult.diskDigestHex());
    assertEquals(BLOCKS, delta.targetProgress.snapshot().blocksSettled());
  }

  @Test
  void theTargetZeroesOnlyTheBlocksItDoesNotHoldAsZeros() throws Throwable {
    System.arraycopy(source, 0, target, 0, source.length);
    fill(target, 20 * BATCH, BATCH); // a whole batch inside lane 0's run [12, 50)
    fill(target, 30 * BATCH + 2, 1); // one block of another
    fill(target, 80 * BATCH + 3, 1); // one block inside lane 1's run [71, 100)
    MemoryTransport transport = MemoryTransport.reliable();
    MemoryBlockDevice disk = MemoryBlockDevice.knowingZeros(target, true);
    SyncHarness delta = new SyncHarness();
    delta.run(parameters(64), MemoryBlockDevice.knowingZeros(source, false), disk, transport);

    assertArrayEquals(source, target);
    assertEquals(6L * BLOCK, disk.bytesZeroed.get(), "bytes zeroed on the target");
    assertEquals(0, disk.bytesWritten.get(), "bytes written on the target");
    SyncProgress.Snapshot sent = delta.sourceProgress.snapshot();
    assertEquals(0, sent.blocksSent());
    assertEquals(6, sent.blocksZero());
    assertEquals(BLOCKS - 6, sent.blocksEqual());
    assertEquals(7, transport.count(SyncFrame::hasAck), "acknowledgements");
  }

  @Test
  void aCutLinkResumesFromTheEndOfTheLastAcknowledgedRun() throws Throwable {
    fill(target, 0, BLOCKS);
    AtomicInteger opens = new AtomicInteger();
    MemoryTransport transport = new MemoryTransport(
        () -> opens.incrementAndGet() <= 4 ? 3 : Integer.MAX_VALUE);
    SyncHarness delta = delta(parameters(8), transport);

    assertArrayEquals(source, target);
    assertTrue(transport.cuts.get() > 0, "no link was cut; the test proves nothing");
    assertEquals(List.of(), transport.redone, "work redone below a durable watermark");
    assertEquals(delta.sourceResult.diskDigestHex(), delta.targetResult.diskDigestHex());
  }

  @Test
  void aZeroRangeOfWholeBatchesInASessionThatAllowsNoneIsRefused() {
    // One end per batch: lane 0's first checksum batch [0, +4) made a zero range of two.
    SyncException e = refused(0, SyncFrame::hasChecksums, frame -> zeros(0, 2 * BATCH));
    assertTrue(e.getMessage().contains("zero range [0, +8) is not up to 1 whole batches"),
        e.getMessage());
  }

  @Test
  void aZeroRunWhileAChecksumBatchAwaitsItsEndIsRefused() {
    // Lane 0 sends the checksum batches of 10 and 11, then waits for their wants before the
    // run from 12: batch 11's digests made that run while batch 10 is still open.
    SyncException e = refused(64, frame -> frame.hasChecksums()
        && frame.getChecksums().getFirstBlock() == 11 * BATCH,
        frame -> zeros(11 * BATCH, 2 * BATCH));
    assertTrue(e.getMessage().contains(
        "blocks [44, +8) are outside the batch being applied [40, +4)"), e.getMessage());
  }

  @Test
  void aChecksumBatchBeforeTheBatchEndOfAZeroRunIsRefused() {
    // The run's batch end [0, +40) made the checksum batch of 10, which comes next.
    SyncException e = refused(64, SyncFrame::hasBatchEnd, frame -> SyncFrame.newBuilder()
        .setChecksums(ChecksumBatch.newBuilder().setFirstBlock(10 * BATCH)
            .setBlockCount(BATCH).setDigests(ByteString.copyFrom(new byte[BATCH * 16])))
        .build());
    assertTrue(e.getMessage().contains(
        "checksums before the batch end of the zero range [0, 40)"), e.getMessage());
  }

  private SyncHarness delta(SyncParameters parameters, MemoryTransport transport)
      throws Throwable {
    return SyncHarness.fromThinDisk(parameters, source, target, transport);
  }

  /** Changes lane 0's first frame that {@code which} picks, as a hostile source would. */
  private SyncException refused(int perEnd, Predicate<SyncFrame> which,
      UnaryOperator<SyncFrame> change) {
    fill(target, 0, BLOCKS);
    return TamperedFrame.refused(
        frame -> which.test(frame) && TamperedFrame.firstBlockOf(frame) < BLOCKS / 2, change,
        transport -> delta(parameters(perEnd).toBuilder().setWindowBatches(8).build(),
            transport));
  }


  private static SyncFrame zeros(long first, int count) {
    return SyncFrame.newBuilder().setZeros(ZeroRange.newBuilder().setFirstBlock(first)
        .setBlockCount(count)).build();
  }

  private void fill(byte[] disk, int firstBlock, int blocks) {
    byte[] data = new byte[blocks * BLOCK];
    random.nextBytes(data);
    System.arraycopy(data, 0, disk, firstBlock * BLOCK, data.length);
  }

  private static SyncParameters parameters(int perEnd) {
    return SyncParameters.newBuilder().setSessionId("delta-zero-runs").setMode(SyncMode.DELTA)
        .setDigestAlgorithm(DigestAlgorithm.XXH3_128).setDigestSeed(9).setBlockSize(BLOCK)
        .setBlocksPerBatch(BATCH).setDiskSize((long) BLOCKS * BLOCK).setLaneCount(2)
        .setWindowBatches(64).setBatchesPerEnd(perEnd).build();
  }
}
